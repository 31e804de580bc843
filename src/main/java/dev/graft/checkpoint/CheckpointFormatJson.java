package dev.graft.checkpoint;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.graft.format.CheckpointFormat;
import org.springframework.boot.jackson.JacksonMixin;

/**
 * Writes a {@link CheckpointFormat} in JSON as the API names it ({@code pytorch}, {@code
 * safetensors}), through the Jackson mapper Spring Boot configures. {@code format} is plain Java
 * and names its constants in upper case.
 */
@JacksonMixin(CheckpointFormat.class)
abstract class CheckpointFormatJson {

  @JsonValue
  abstract String wireName();
}
