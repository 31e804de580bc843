package dev.graft.registry;

import dev.graft.plan.LoadOptions;
import dev.graft.plan.Report;
import dev.graft.shared.BlobGc;
import dev.graft.storage.BlobStore;
import dev.graft.storage.PendingBlob;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Registers versions the way the run executor does (blob locks, {@link RegistryService#register},
 * blob commit, one transaction) without running a warm-start, so registry tests take milliseconds.
 * The artifact bytes are real blobs in the real store.
 */
public final class TestVersions {

  private final RegistryService registry;
  private final BlobStore blobs;
  private final BlobGc gc;
  private final TransactionTemplate tx;

  public TestVersions(
      RegistryService registry, BlobStore blobs, BlobGc gc, TransactionTemplate tx) {
    this.registry = registry;
    this.blobs = blobs;
    this.gc = gc;
    this.tx = tx;
  }

  /** The summary of a plan that loaded one one-element entry. */
  public static final Report.Summary SUMMARY = new Report.Summary(1, 1, 0, 0, 0, 1, 1, 0, 0, 1.0);

  /** A model name no other test uses. */
  public static String uniqueModel(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Bytes no other test stores. */
  public static byte[] uniqueBytes(int size) {
    byte[] b = new byte[size];
    ThreadLocalRandom.current().nextBytes(b);
    byte[] id = UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(id, 0, b, 0, Math.min(id.length, size));
    return b;
  }

  /** Registers a version with one unique {@code safetensors} artifact. */
  public ModelVersion register(String model, Map<String, String> tags, List<String> aliases) {
    return register(model, tags, aliases, uniqueBytes(256), UUID.randomUUID(), UUID.randomUUID());
  }

  /** Registers a version whose {@code safetensors} artifact holds {@code artifact}. */
  public ModelVersion register(
      String model,
      Map<String, String> tags,
      List<String> aliases,
      byte[] artifact,
      UUID checkpointId,
      UUID architectureId) {
    try (PendingBlob pending = blobs.write(new ByteArrayInputStream(artifact), Long.MAX_VALUE)) {
      return tx.execute(
          status ->
              gc.underLock(
                  pending.sha256(),
                  () -> {
                    ModelVersion v =
                        registry.register(
                            new NewVersion(
                                model,
                                "made by a test",
                                tags,
                                aliases,
                                UUID.randomUUID(),
                                new ModelVersion.Lineage(
                                    checkpointId,
                                    "0".repeat(64),
                                    architectureId,
                                    LoadOptions.defaults()),
                                SUMMARY,
                                List.of(
                                    new ModelVersion.Artifact(
                                        ArtifactFormat.SAFETENSORS,
                                        pending.sha256(),
                                        pending.size()))));
                    try {
                      pending.commit();
                    } catch (IOException e) {
                      throw new UncheckedIOException(e);
                    }
                    return v;
                  }));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
