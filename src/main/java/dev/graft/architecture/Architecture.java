package dev.graft.architecture;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.UUID;

/**
 * A target-architecture descriptor: the ordered keys of a new model's {@code state_dict()}.
 *
 * @param id the architecture's id
 * @param name its name (PyTorch's error text calls the model by it)
 * @param source what it was read from
 * @param sha256 SHA-256 of the uploaded bytes (of the JSON document for JSON sources)
 * @param sizeBytes size of the uploaded bytes
 * @param entryCount state-dict keys
 * @param numel elements over all entries
 * @param trainableNumel elements of entries with {@code requiresGrad}
 * @param hasInitialValues whether entries carry initial values (file sources) rather than init
 *     schemes
 * @param createdAt when it was uploaded
 */
@Schema(
    requiredProperties = {
      "id",
      "name",
      "source",
      "sha256",
      "sizeBytes",
      "entryCount",
      "numel",
      "trainableNumel",
      "hasInitialValues",
      "createdAt"
    },
    example =
        """
        {"id":"0b7e2f4c-9d41-4a8e-8f5e-2c6a1d9b3e70","name":"ResNet34","source":"STATE_DICT",
         "sha256":"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae","sizeBytes":87319819,
         "entryCount":218,"numel":21797672,"trainableNumel":21779648,"hasInitialValues":true,
         "createdAt":"2026-11-29T14:00:00Z"}""")
public record Architecture(
    UUID id,
    String name,
    ArchitectureSource source,
    String sha256,
    long sizeBytes,
    int entryCount,
    long numel,
    long trainableNumel,
    boolean hasInitialValues,
    Instant createdAt) {}
