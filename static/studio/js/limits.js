// The studio's limits (limits.py on the server), as the page was given them in #studio-limits.
// Scripts read bounds from here instead of repeating numbers the server defines.
const element = document.getElementById("studio-limits");
export const limits = element ? JSON.parse(element.textContent) : {};
