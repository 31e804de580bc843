/**
 * Who may do what: bearer tokens with scopes ({@code read}, {@code write}, {@code admin}), JWTs
 * from an OpenID Connect provider as the alternative, and the audit log of every change and every
 * refused call.
 *
 * <p>The surface other features use is small: {@link dev.graft.security.AuditLog} (services record
 * their changes in the change's own transaction), {@link dev.graft.security.TokenService} and the
 * records the API sends. How a request is authenticated and authorized (the filter chain, the scope
 * rules, the lockout of addresses that keep presenting bad tokens, the problem+json answers) is
 * package-private here.
 */
package dev.graft.security;
