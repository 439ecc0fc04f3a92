// Test-page only: turns a CSS import into a <style> tag, so Deck's own stylesheets (bootstrap, the
// styleguide) style the screenshots the way they style Deck. url() assets are not served and stay blank.
module.exports = function cssInjectLoader(source) {
  return `const style = document.createElement('style');
style.setAttribute('data-source', ${JSON.stringify(this.resourcePath.split('node_modules/').pop())});
style.textContent = ${JSON.stringify(source)};
document.head.appendChild(style);`;
};
