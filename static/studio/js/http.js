// Talking to the studio from a page: CSRF, JSON requests with the studio's error shape, and the
// error messages in plain language (the API's messages are written for developers; its codes stay).

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) return meta.content;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** An error answered by the studio: {error: {code, message, field}} (API) or {errors: {...}} (forms). */
export class StudioError extends Error {
  constructor(status, { code = "error", message = "", field = null, fieldErrors = null } = {}) {
    super(plainMessage(message) || `The server answered ${status}.`);
    this.status = status;
    this.code = code;
    this.field = field;
    this.fieldErrors = fieldErrors; // Django form errors: {field: [{message, code}]}
  }
}

// Developer wording in API messages, and what a page says instead.
const PLAIN = [
  // "(GET /v1/voices/…/consent)": how a program would do it; the page has a button for that.
  [/\s*\((?:GET|POST|PUT|PATCH|DELETE) \/v1\/[^)]*\)/g, ""],
  // audio/codec.py ACCEPTED_FORMATS; the raw-PCM part is for programs, a page cannot send that.
  [/WAV, MP3, FLAC, OGG \(Vorbis or Opus\), WebM\/Opus, M4A\/AAC, or raw 16-bit PCM sent as [^.]*/g, "WAV, MP3, FLAC, OGG, WebM or M4A"],
  [/^texts\[(\d+)\]: /, (_, index) => `Line ${Number(index) + 1}: `],
  [/^'[^']*' is not an audio type\..*$/, "This is not an audio file. Use WAV, MP3, FLAC, OGG, WebM or M4A."],
  [/^Internal error while running the (\w+) job \(\w+\)\.?$/, (_, kind) => `Something went wrong in the studio while running the ${kind}. Try again; if it keeps happening, tell the administrator.`],
];

/** A message from the studio, in the words a page should show. */
export function plainMessage(message) {
  let text = String(message || "");
  for (const [pattern, replacement] of PLAIN) text = text.replace(pattern, replacement);
  return text.trim();
}

export async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page, a 413 from the server...): describe the status instead.
  }
  if (body && body.error) return new StudioError(response.status, body.error);
  if (body && body.errors) {
    const first = Object.entries(body.errors)[0];
    return new StudioError(response.status, {
      code: "invalid",
      message: first ? first[1][0].message : "Please correct the errors below.",
      field: first ? first[0] : null,
      fieldErrors: body.errors,
    });
  }
  const messages = {
    403: "You are signed out or not allowed to do this. Reload the page and sign in again.",
    413: "The upload is too large for the server.",
    500: "Something went wrong on the server. Try again; if it keeps happening, tell the administrator.",
    502: "The studio is not reachable right now. Try again in a moment.",
  };
  return new StudioError(response.status, { message: messages[response.status] || `The server answered ${response.status}.` });
}

/** fetch() with the session's CSRF token; resolves to the parsed JSON body, rejects with StudioError. */
export async function requestJSON(url, { method = "GET", json, body, headers = {} } = {}) {
  const options = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", ...headers },
  };
  if (method !== "GET" && method !== "HEAD") options.headers["X-CSRFToken"] = csrfToken();
  if (json !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(json);
  } else if (body !== undefined) {
    options.body = body;
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch {
    throw new StudioError(0, { code: "network", message: "The studio could not be reached. Check the connection and try again." });
  }
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return null;
  return response.json();
}
