package dev.graft.shared.web;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.Paths;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.info.Contact;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.servers.Server;
import io.swagger.v3.oas.models.tags.Tag;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The parts of the OpenAPI document ({@code /v3/api-docs}, committed as {@code openapi/graft.json})
 * that no controller states: the {@code info} block with the build's version, the server, the tags
 * in the order of the main flow, the one problem+json schema every error uses, the response headers
 * clients read, and the answers every operation can give.
 *
 * <p>Controllers declare their own responses with {@code @ApiResponse}, errors by status and
 * description only; {@link #problemResponses()} gives every 4xx and 5xx the shared {@code Problem}
 * schema under {@code application/problem+json}, adds the {@code 400} (an unknown query parameter,
 * see {@link UnknownQueryParameters}) and {@code 500} any call can give, and orders paths, schemas
 * and responses so the document is stable from one build to the next.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiDocument {

  /** The shared error schema's name in {@code components.schemas}. */
  static final String PROBLEM = "Problem";

  static final String PROBLEM_JSON = "application/problem+json";

  private static final String DESCRIPTION =
      """
      Graft is a model registry for warm-starting PyTorch models. Upload an old checkpoint and the \
      new architecture's layout, preview per tensor what `load_state_dict` would load, initialise, \
      drop or find not to fit, run the load on a worker, and keep the result as a versioned model \
      with its report and lineage.

      The main flow: `uploadCheckpoint`, `uploadArchitecture` (a file) or `createArchitecture` (a \
      JSON descriptor), `createPreview`, `startWarmStart`, `getWarmStart` until it ends, \
      `getWarmStartReport`, `getModelVersion`, `downloadArtifact`.

      Errors are `application/problem+json` (RFC 9457) with a `detail` that says what is wrong and \
      where. Lists are paged (`page`, `size`); an unknown query parameter is a `400` naming it. \
      Creating calls take an `Idempotency-Key` header.""";

  @Bean
  OpenAPI graftOpenApi(ObjectProvider<BuildProperties> build) {
    BuildProperties properties = build.getIfAvailable();
    String version =
        properties != null
            ? properties.getVersion()
            : OpenApiDocument.class.getPackage().getImplementationVersion();
    return new OpenAPI()
        .info(
            new Info()
                .title("Graft")
                .description(DESCRIPTION)
                .version(version == null ? "development" : version)
                .contact(new Contact().name("The Graft maintainers").url("https://graft.dev"))
                .license(
                    new License()
                        .name("Apache-2.0")
                        .url("https://www.apache.org/licenses/LICENSE-2.0")))
        .servers(
            List.of(
                new Server()
                    .url("http://localhost:8080")
                    .description("A local Graft, as ./mvnw spring-boot:run starts it")))
        .tags(
            List.of(
                tag("Checkpoints", "Uploaded weight files and their tensor index"),
                tag(
                    "Architectures",
                    "Target architectures: the new model's state_dict() layout, from a file or a"
                        + " JSON descriptor"),
                tag(
                    "Previews",
                    "What load_state_dict would do, per tensor, before anything is loaded"),
                tag("Warm-starts", "Asynchronous loads executed by workers through DJL"),
                tag("Models", "Models, their immutable versions, artifacts and aliases")))
        .components(
            new Components()
                .addSchemas(PROBLEM, problemSchema())
                .addSchemas("FieldError", fieldErrorSchema())
                .addHeaders(
                    "Location",
                    header("The new resource's path", new StringSchema().format("uri-reference"))
                        .example("/api/v1/checkpoints/6f1c2a9e-3b7d-4c52-9a51-0d3e5f7a8b90"))
                .addHeaders(
                    "ETag",
                    header(
                            "For downloads the file's SHA-256 in quotes; for a model or version"
                                + " the tag of its current state, to send back in If-Match",
                            new StringSchema())
                        .example(
                            "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\""))
                .addHeaders(
                    "Content-Range",
                    header(
                            "The range sent and the file's size (206), or the size alone (416)",
                            new StringSchema())
                        .example("bytes 0-1023/46830571"))
                .addHeaders("Accept-Ranges", header("Always bytes", new StringSchema()))
                .addHeaders(
                    "Content-Disposition",
                    header("attachment, with a file name", new StringSchema())
                        .example("attachment; filename=\"resnet34-warm-v1.safetensors\""))
                .addHeaders(
                    "Retry-After",
                    header("Seconds to wait before trying again", new IntegerSchema()).example(1)));
  }

  @Bean
  OpenApiCustomizer problemResponses() {
    return openApi -> {
      if (openApi.getPaths() != null) {
        Paths sorted = new Paths();
        new TreeMap<>(openApi.getPaths()).forEach(sorted::addPathItem);
        openApi.setPaths(sorted);
        for (PathItem path : sorted.values()) {
          for (Operation operation : path.readOperations()) {
            completeResponses(operation);
          }
        }
      }
      @SuppressWarnings("rawtypes")
      Map<String, Schema> schemas = openApi.getComponents().getSchemas();
      if (schemas != null) {
        flattenDiscriminatedSubtypes(schemas);
        schemas.values().forEach(OpenApiDocument::anyValueForObject);
        openApi.getComponents().setSchemas(new TreeMap<>(schemas));
      }
    };
  }

  /**
   * Turns each subtype of a discriminated union (the key rules) into a standalone object whose
   * {@code type} property is the one value the mapping gives it, and leaves the union itself a bare
   * {@code oneOf} with its mapping. swagger-core writes the subtypes as {@code allOf} the union,
   * which is a cycle (union, subtype, union) that generators resolve differently: Java sent the
   * class name as the type, Python could not read a report holding key rules, and Redocly finds the
   * examples invalid.
   */
  @SuppressWarnings({"rawtypes", "unchecked"})
  private static void flattenDiscriminatedSubtypes(Map<String, Schema> schemas) {
    for (Schema union : List.copyOf(schemas.values())) {
      if (union.getDiscriminator() == null
          || union.getDiscriminator().getMapping() == null
          || union.getOneOf() == null) {
        continue;
      }
      String property = union.getDiscriminator().getPropertyName();
      union
          .getDiscriminator()
          .getMapping()
          .forEach(
              (value, ref) -> {
                Schema subtype = schemas.get(ref.substring(ref.lastIndexOf('/') + 1));
                if (subtype == null) {
                  return;
                }
                Map<String, Schema> properties = new LinkedHashMap<>();
                properties.put(
                    property,
                    new StringSchema()
                        ._enum(List.of(value))
                        .description("Always " + value + " for this kind"));
                if (subtype.getAllOf() != null) {
                  for (Object part : subtype.getAllOf()) {
                    Schema p = (Schema) part;
                    if (p.get$ref() == null && p.getProperties() != null) {
                      properties.putAll(p.getProperties());
                    }
                  }
                  subtype.setAllOf(null);
                }
                if (subtype.getProperties() != null) {
                  subtype
                      .getProperties()
                      .forEach((k, v) -> properties.putIfAbsent((String) k, (Schema) v));
                }
                subtype.setType("object");
                subtype.setProperties(properties);
              });
      union.setType(null);
      union.setProperties(null);
      union.setRequired(null);
    }
  }

  /**
   * A Java {@code Object} value is any JSON value: swagger-core writes {@code type: object} for it,
   * which refuses the numbers and strings it holds (a checkpoint's {@code metadata.epoch}).
   */
  @SuppressWarnings("rawtypes")
  private static void anyValueForObject(Schema schema) {
    if (schema.getProperties() != null) {
      for (Object p : schema.getProperties().values()) {
        anyValueForObject((Schema) p);
      }
    }
    if (schema.getAdditionalProperties() instanceof Schema value
        && "object".equals(value.getType())
        && value.getProperties() == null
        && value.getAdditionalProperties() == null
        && value.get$ref() == null) {
      schema.setAdditionalProperties(Boolean.TRUE);
    }
  }

  private static void completeResponses(Operation operation) {
    ApiResponses responses =
        operation.getResponses() == null ? new ApiResponses() : operation.getResponses();
    responses.putIfAbsent(
        "400",
        new ApiResponse()
            .description(
                "A parameter, header or body field is invalid, or a query parameter is unknown;"
                    + " errors[0].field names it"));
    responses.putIfAbsent(
        "500", new ApiResponse().description("The server failed; the failure is logged"));
    Map<String, ApiResponse> ordered = new LinkedHashMap<>();
    responses.entrySet().stream()
        .sorted(Map.Entry.comparingByKey(Comparator.naturalOrder()))
        .forEach(e -> ordered.put(e.getKey(), e.getValue()));
    ApiResponses out = new ApiResponses();
    for (Map.Entry<String, ApiResponse> e : ordered.entrySet()) {
      ApiResponse r = e.getValue();
      if (r.getHeaders() != null) {
        // springdoc writes style: simple beside a $ref; OpenAPI 3.0 ignores (Redocly flags) it.
        r.getHeaders().values().stream()
            .filter(h -> h.get$ref() != null)
            .forEach(h -> h.setStyle(null));
      }
      if (e.getKey().startsWith("4") || e.getKey().startsWith("5")) {
        r.setContent(
            new Content()
                .addMediaType(
                    PROBLEM_JSON,
                    new MediaType()
                        .schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM))));
      }
      if (e.getKey().equals("429")) {
        r.addHeaderObject("Retry-After", new Header().$ref("#/components/headers/Retry-After"));
      }
      out.addApiResponse(e.getKey(), r);
    }
    operation.setResponses(out);
  }

  private static Tag tag(String name, String description) {
    return new Tag().name(name).description(description);
  }

  private static Header header(String description, Schema<?> schema) {
    return new Header().description(description).schema(schema);
  }

  private static Schema<?> problemSchema() {
    return new ObjectSchema()
        .description(
            "An error, as RFC 9457 describes it (application/problem+json). Every error Graft"
                + " answers has this shape.")
        .addProperty(
            "type",
            new StringSchema()
                .format("uri")
                .description(
                    "What kind of error: "
                        + Problems.TYPE_BASE
                        + " followed by bad-request, not-found, conflict, precondition-failed,"
                        + " unknown-reference, options-rejected, file-rejected,"
                        + " payload-too-large, upload-stalled, too-many-uploads or internal")
                .example(Problems.TYPE_BASE + "not-found"))
        .addProperty(
            "title", new StringSchema().description("A short, fixed title").example("Not found"))
        .addProperty(
            "status",
            new IntegerSchema().format("int32").description("The HTTP status").example(404))
        .addProperty(
            "detail",
            new StringSchema()
                .description(
                    "What is wrong and where, for a person to act on; at most "
                        + Problems.MAX_DETAIL
                        + " characters")
                .example("model 'resnet34-warm' has no version 7"))
        .addProperty(
            "instance",
            new StringSchema()
                .format("uri-reference")
                .description("The request path, where Spring MVC reports it"))
        .addProperty(
            "errors",
            new ArraySchema()
                .items(new Schema<>().$ref("#/components/schemas/FieldError"))
                .description("The fields at fault (400 and 422), first the one the detail names"))
        .addProperty(
            "reason",
            new StringSchema()
                ._enum(
                    java.util.Arrays.stream(dev.graft.format.FormatException.Kind.values())
                        .map(Enum::name)
                        .toList())
                .description("For file-rejected: why the reader refused the file"))
        .addProperty(
            "retryAfterSeconds",
            new IntegerSchema()
                .format("int32")
                .description("For too-many-uploads: the Retry-After header's value"))
        .required(List.of("type", "title", "status", "detail"));
  }

  private static Schema<?> fieldErrorSchema() {
    return new ObjectSchema()
        .description("A field of a request that is at fault")
        .addProperty(
            "field",
            new StringSchema()
                .description(
                    "The parameter, header or body field, as a path into the body where it is one")
                .example("options.keyRules[1].replacement"))
        .addProperty(
            "message", new StringSchema().description("What is wrong with it, for a person"))
        .required(List.of("field", "message"));
  }
}
