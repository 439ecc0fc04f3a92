// jsdom as jest ships it lacks a few globals Node 20 has and the catalog uses (structuredClone).
const { TestEnvironment } = require('jest-environment-jsdom');

class DeckTestEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    this.global.structuredClone = structuredClone;
    this.global.TextEncoder = TextEncoder;
    this.global.TextDecoder = TextDecoder;
  }
}

module.exports = DeckTestEnvironment;
