package dev.graft.security;

import dev.graft.shared.GraftProperties;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import java.util.List;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Declares in the OpenAPI document how callers authenticate, so that generated clients send the
 * header: a {@code bearer} HTTP scheme required by every operation (public ones, if any are
 * described, say they need none), the scope each operation needs ({@code x-graft-scope}, and in its
 * description), and the 401, 403 and 429 answers every protected operation can give, as
 * problem+json. In {@code none} mode the document declares no scheme.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiSecurity {

  static final String SCHEME = "bearer";

  @Bean
  OpenApiCustomizer graftSecurityDocument(GraftProperties properties) {
    GraftProperties.SecurityMode mode = properties.security().mode();
    return openApi -> {
      if (mode != GraftProperties.SecurityMode.NONE) {
        describe(openApi, mode == GraftProperties.SecurityMode.OIDC);
      }
    };
  }

  private static void describe(OpenAPI openApi, boolean oidc) {
    if (openApi.getComponents() == null) {
      openApi.setComponents(new Components());
    }
    openApi
        .getComponents()
        .addSecuritySchemes(
            SCHEME,
            new SecurityScheme()
                .type(SecurityScheme.Type.HTTP)
                .scheme("bearer")
                .bearerFormat(oidc ? "JWT" : "graft_<prefix>_<secret>")
                .description(
                    oidc
                        ? "A JWT from the OIDC provider, for this service's audience, with the"
                            + " scopes graft:read, graft:write or graft:admin"
                        : "A Graft token (POST /api/v1/tokens), with the scopes read, write or"
                            + " admin; admin includes write, write includes read"));
    openApi.setSecurity(List.of(new SecurityRequirement().addList(SCHEME)));
    String problem = problemSchema(openApi.getComponents());
    if (openApi.getPaths() == null) {
      return;
    }
    for (Map.Entry<String, PathItem> path : openApi.getPaths().entrySet()) {
      for (Map.Entry<PathItem.HttpMethod, Operation> op :
          path.getValue().readOperationsMap().entrySet()) {
        Operation operation = op.getValue();
        if (ScopeRules.isPublic(path.getKey())) {
          operation.setSecurity(List.of());
          continue;
        }
        Scope scope = ScopeRules.required(op.getKey().name(), path.getKey());
        String scopeName = oidc ? OidcJwts.SCOPE_PREFIX + scope.wireName() : scope.wireName();
        operation.addExtension("x-graft-scope", scopeName);
        String needs = "Needs the `" + scopeName + "` scope.";
        operation.setDescription(
            operation.getDescription() == null
                ? needs
                : operation.getDescription() + "\n\n" + needs);
        if (operation.getResponses() == null) {
          operation.setResponses(new ApiResponses());
        }
        ApiResponses responses = operation.getResponses();
        responses.putIfAbsent(
            "401",
            problem(
                    problem,
                    "No bearer token, or one that is malformed, unknown, expired or revoked")
                .addHeaderObject(
                    "WWW-Authenticate",
                    new Header()
                        .description(
                            "Bearer, with error=\"invalid_token\" when a token was refused")
                        .schema(new StringSchema())));
        responses.putIfAbsent(
            "403", problem(problem, "The token lacks the `" + scopeName + "` scope"));
        responses.putIfAbsent(
            "429",
            problem(
                    problem,
                    "Too many refused tokens from this address; or, for uploads, too many uploads"
                        + " at once")
                .addHeaderObject(
                    "Retry-After",
                    new Header()
                        .description("Seconds to wait before trying again")
                        .schema(new IntegerSchema())));
      }
    }
  }

  private static ApiResponse problem(String schema, String description) {
    return new ApiResponse()
        .description(description)
        .content(
            new Content()
                .addMediaType(
                    "application/problem+json",
                    new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + schema))));
  }

  /** The shared problem schema's name; defined here when the document has none yet. */
  @SuppressWarnings("rawtypes")
  private static String problemSchema(Components components) {
    Map<String, Schema> schemas = components.getSchemas();
    for (String name : List.of("Problem", "ProblemDetail")) {
      if (schemas != null && schemas.containsKey(name)) {
        return name;
      }
    }
    components.addSchemas(
        "Problem",
        new ObjectSchema()
            .description("An error, as RFC 9457 describes (application/problem+json)")
            .addProperty("type", new StringSchema().format("uri"))
            .addProperty("title", new StringSchema())
            .addProperty("status", new IntegerSchema())
            .addProperty("detail", new StringSchema())
            .required(List.of("type", "title", "status", "detail")));
    return "Problem";
  }
}
