/**
 * The admin console at {@code /console}: server-rendered pages (Thymeleaf, htmx for live parts)
 * over the same services the API uses, so every rule (validation, scopes, deletion vetoes, the
 * audit log) is the one the API applies. Its security chain, with the sign-in by token, lives in
 * {@code dev.graft.security}; failures are described by the API's own problem mapping ({@link
 * dev.graft.shared.web.ProblemDescriptions}) and shown in words.
 */
package dev.graft.console;
