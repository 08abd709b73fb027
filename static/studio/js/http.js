// Small helpers shared by the page scripts: CSRF, JSON requests with the studio's error shape, formatting.

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) return meta.content;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** An error answered by the studio: {error: {code, message, field}} (API) or {errors: {...}} (forms). */
export class StudioError extends Error {
  constructor(status, { code = "error", message = "", field = null, fieldErrors = null } = {}) {
    super(message || `The server answered ${status}.`);
    this.status = status;
    this.code = code;
    this.field = field;
    this.fieldErrors = fieldErrors; // Django form errors: {field: [{message, code}]}
  }
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

export function formatClock(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const whole = Math.floor(seconds);
  const minutes = Math.floor(whole / 60);
  return `${minutes}:${String(whole % 60).padStart(2, "0")}`;
}

export function formatSeconds(seconds) {
  if (!Number.isFinite(seconds)) return "—";
  if (seconds >= 90) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${seconds.toFixed(1)} s`;
}

export function formatEta(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "estimating time left…";
  if (seconds < 1) return "almost done";
  if (seconds < 60) return `about ${Math.ceil(seconds)} s left`;
  return `about ${Math.ceil(seconds / 60)} min left`;
}

export function cssVar(name, fallback) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}
