package dev.graft.security.web;

import dev.graft.security.ApiToken;
import dev.graft.security.CreatedToken;
import dev.graft.security.NewToken;
import dev.graft.security.TokenService;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Bearer tokens: create (the secret shown once), list, revoke. Admin scope. */
@RestController
@RequestMapping("/api/v1/tokens")
@Tag(name = "Tokens", description = "Bearer tokens with scopes (admin scope)")
class TokenController {

  private final TokenService tokens;

  TokenController(TokenService tokens) {
    this.tokens = tokens;
  }

  @Operation(
      operationId = "createToken",
      summary = "Create a token; its secret is in this answer only and is stored as a hash")
  @ApiResponse(responseCode = "201", description = "Created; keep the token, it is not shown again")
  @ApiResponse(
      responseCode = "400",
      description = "A missing or invalid name, an unknown scope, or an expiry in the past")
  @ApiResponse(
      responseCode = "409",
      description = "A live token has this name, or Graft is not in token mode")
  @PostMapping
  ResponseEntity<CreatedToken> create(@RequestBody NewToken request) {
    return ResponseEntity.status(HttpStatus.CREATED).body(tokens.create(request));
  }

  @Operation(
      operationId = "listTokens",
      summary = "List tokens, newest first, revoked ones included; never a secret")
  @GetMapping
  PageResponse<ApiToken> list(
      @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "50") int size) {
    return tokens.list(new PageRequest(page, size));
  }

  @Operation(
      operationId = "revokeToken",
      summary = "Revoke a token: the next request that presents it is refused")
  @ApiResponse(responseCode = "204", description = "Revoked (or it already was)")
  @ApiResponse(responseCode = "404", description = "No such token")
  @ApiResponse(
      responseCode = "409",
      description = "It is the last live admin token; create another admin token first")
  @DeleteMapping("/{id}")
  ResponseEntity<Void> revoke(@PathVariable UUID id) {
    tokens.revoke(id);
    return ResponseEntity.noContent().build();
  }
}
