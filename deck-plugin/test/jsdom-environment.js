// jsdom as jest ships it lacks globals Node 20 has: structuredClone (the catalog) and the fetch types
// (the fake Gate answers with real Response objects).
const { TestEnvironment } = require('jest-environment-jsdom');

class DeckTestEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    this.global.structuredClone = structuredClone;
    this.global.TextEncoder = TextEncoder;
    this.global.TextDecoder = TextDecoder;
    this.global.Response = Response;
    this.global.Headers = Headers;
  }
}

module.exports = DeckTestEnvironment;
