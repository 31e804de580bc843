package dev.graft.architecture;

import io.swagger.v3.oas.annotations.media.Schema;

/**
 * The shape of a JSON entry's {@code init} in the API description. Entries keep {@code init} as the
 * map the client sent (its parameters are checked against {@link dev.graft.plan.InitScheme} by
 * {@link JsonEntries}, which names the exact field at fault), so this record only documents it: the
 * scheme by its API name, and the parameters the schemes take.
 *
 * @param scheme the scheme's API name
 * @param value {@code constant}'s value
 * @param mean {@code normal}'s mean
 * @param std {@code normal}'s standard deviation
 * @param a {@code uniform}'s lower bound, or {@code kaiming_uniform}'s negative slope
 * @param b {@code uniform}'s upper bound
 * @param gain {@code xavier_uniform}'s gain
 */
@Schema(
    name = "Init",
    requiredProperties = "scheme",
    description =
        "An init scheme and its parameters; a parameter left out takes the scheme's default."
            + " Values are reproducible from options.initSeed on the same device type, but they"
            + " are Graft's own random numbers, not torch's.",
    example = "{\"scheme\": \"kaiming_uniform\", \"a\": 2.23606797749979}")
public record InitSpec(
    @Schema(
            allowableValues = {
              "zeros",
              "ones",
              "constant",
              "normal",
              "uniform",
              "kaiming_uniform",
              "xavier_uniform"
            })
        String scheme,
    @Schema(description = "constant: the value (required)") Double value,
    @Schema(description = "normal: the mean (0)") Double mean,
    @Schema(description = "normal: the standard deviation (1), 0 or more") Double std,
    @Schema(
            description =
                "uniform: the lower bound (0); kaiming_uniform: the negative slope (0; PyTorch's"
                    + " Linear and Conv weights use √5)")
        Double a,
    @Schema(description = "uniform: the upper bound (1), not below a") Double b,
    @Schema(description = "xavier_uniform: the gain (1)") Double gain) {}
