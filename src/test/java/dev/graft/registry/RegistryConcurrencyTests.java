package dev.graft.registry;

import static dev.graft.TestSupport.sha256;
import static dev.graft.registry.TestVersions.uniqueModel;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.shared.BlobGc;
import dev.graft.storage.BlobStore;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

/**
 * Races between concurrent HTTP clients against the real database: each test repeats its race a
 * bounded number of times, released together by a barrier, and checks the end state.
 */
class RegistryConcurrencyTests extends IntegrationTest {

  private static final int ROUNDS = 10;

  @Autowired RegistryService registry;
  @Autowired BlobStore blobs;
  @Autowired BlobGc gc;
  @Autowired TransactionTemplate tx;

  private TestVersions versions;
  private ExecutorService pool;

  @BeforeEach
  void setUp() {
    versions = new TestVersions(registry, blobs, gc, tx);
    pool = Executors.newFixedThreadPool(4);
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    pool.shutdownNow();
    pool.awaitTermination(10, TimeUnit.SECONDS);
  }

  /** Runs both at once (released by one barrier) and returns their results. */
  private <A, B> List<Object> race(Callable<A> a, Callable<B> b) throws Exception {
    CyclicBarrier start = new CyclicBarrier(2);
    Future<A> fa =
        pool.submit(
            () -> {
              start.await();
              return a.call();
            });
    Future<B> fb =
        pool.submit(
            () -> {
              start.await();
              return b.call();
            });
    return List.of(fa.get(30, TimeUnit.SECONDS), fb.get(30, TimeUnit.SECONDS));
  }

  private HttpResponse<String> putAlias(String model, String alias, int version) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri("/api/v1/models/" + model + "/aliases/" + alias))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString("{\"version\": " + version + "}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @SuppressWarnings("unchecked")
  void shouldLeaveAnAliasAtOneOfTwoVersionsWhenTwoClientsMoveItAtOnce() throws Exception {
    String model = uniqueModel("alias-race");
    versions.register(model, Map.of(), List.of());
    versions.register(model, Map.of(), List.of());
    for (int round = 0; round < ROUNDS; round++) {
      List<Object> r =
          race(() -> putAlias(model, "champion", 1), () -> putAlias(model, "champion", 2));
      for (Object o : r) {
        HttpResponse<String> resp = (HttpResponse<String>) o;
        assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
      }
      int at = json(get("/api/v1/models/" + model + "/aliases/champion")).get("version").asInt();
      assertThat(at).isIn(1, 2);
      // Exactly one version lists the alias, the one it points at.
      JsonNode all = json(get("/api/v1/models/" + model + "/versions"));
      int listing = 0;
      for (JsonNode v : all.get("items")) {
        if (v.get("aliases").toString().contains("champion")) {
          listing++;
          assertThat(v.get("version").asInt()).isEqualTo(at);
        }
      }
      assertThat(listing).isEqualTo(1);
      assertThat(json(get("/api/v1/models/" + model)).get("aliases").size()).isEqualTo(1);
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void shouldEitherDeleteAVersionOrMoveAnAliasToItButNeverLeaveADanglingAlias() throws Exception {
    String model = uniqueModel("delete-vs-alias");
    for (int round = 0; round < ROUNDS; round++) {
      int version = versions.register(model, Map.of(), List.of()).version();
      List<Object> r =
          race(
              () -> delete("/api/v1/models/" + model + "/versions/" + version),
              () -> putAlias(model, "candidate", version));
      int deleted = ((HttpResponse<String>) r.get(0)).statusCode();
      int moved = ((HttpResponse<String>) r.get(1)).statusCode();
      if (deleted == 204) {
        assertThat(moved).as(((HttpResponse<String>) r.get(1)).body()).isEqualTo(422);
        assertThat(get("/api/v1/models/" + model + "/versions/" + version).statusCode())
            .isEqualTo(404);
      } else {
        assertThat(deleted).isEqualTo(409);
        assertThat(moved).isEqualTo(200);
        assertThat(
                json(get("/api/v1/models/" + model + "/aliases/candidate")).get("version").asInt())
            .isEqualTo(version);
      }
    }
  }

  @Test
  void shouldDownloadWholeBytesOrAnswerNotFoundWhenTheVersionIsDeletedMeanwhile() throws Exception {
    String model = uniqueModel("download-race");
    for (int round = 0; round < ROUNDS; round++) {
      byte[] bytes = TestVersions.uniqueBytes(4 << 20);
      ModelVersion v =
          versions.register(
              model, Map.of(), List.of(), bytes, UUID.randomUUID(), UUID.randomUUID());
      String sha = v.artifacts().get(0).sha256();
      String path =
          "/api/v1/models/" + model + "/versions/" + v.version() + "/artifacts/safetensors";
      List<Object> r =
          race(
              () ->
                  http.send(
                      HttpRequest.newBuilder(uri(path)).build(),
                      HttpResponse.BodyHandlers.ofByteArray()),
              () -> delete("/api/v1/models/" + model + "/versions/" + v.version()));
      @SuppressWarnings("unchecked")
      HttpResponse<byte[]> download = (HttpResponse<byte[]>) r.get(0);
      @SuppressWarnings("unchecked")
      HttpResponse<String> deleted = (HttpResponse<String>) r.get(1);
      assertThat(deleted.statusCode()).isEqualTo(204);
      if (download.statusCode() == 200) {
        assertThat(sha256(download.body())).isEqualTo(sha);
      } else {
        assertThat(download.statusCode()).isEqualTo(404);
        assertThat(new String(download.body())).contains("\"status\":404");
      }
      assertThat(blobs.exists(sha)).isFalse();
    }
  }

  @Test
  void shouldKeepListingsConsistentWhileVersionsAreRegistered() throws Exception {
    String model = uniqueModel("listed-race");
    versions.register(model, Map.of("stage", "dev"), List.of());
    AtomicBoolean done = new AtomicBoolean();
    Future<Integer> writer =
        pool.submit(
            () -> {
              try {
                for (int i = 0; i < 30; i++) {
                  versions.register(model, Map.of("stage", "dev"), List.of("latest"));
                }
                return 30;
              } finally {
                done.set(true);
              }
            });
    int reads = 0;
    while (!done.get() || reads < 5) {
      HttpResponse<String> list = get("/api/v1/models?q=" + model);
      assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
      JsonNode m = json(list).get("items").get(0);
      // No deletions here: the count and the latest number move together.
      assertThat(m.get("versionCount").asLong()).isEqualTo(m.get("latestVersion").asLong());

      HttpResponse<String> page =
          get("/api/v1/models/" + model + "/versions?size=1000&tag=stage:dev");
      assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
      JsonNode p = json(page);
      assertThat(p.get("items").size()).isEqualTo(p.get("total").asInt());
      assertThat(p.get("items").get(0).get("version").asInt()).isEqualTo(p.get("total").asInt());
      reads++;
    }
    assertThat(writer.get(30, TimeUnit.SECONDS)).isEqualTo(30);
    JsonNode finalModel = json(get("/api/v1/models/" + model));
    assertThat(finalModel.get("versionCount").asLong()).isEqualTo(31);
    assertThat(finalModel.get("aliases").get("latest").asInt()).isEqualTo(31);
  }

  @Test
  void shouldNumberVersionsRegisteredConcurrentlyWithoutGapsOrRepeats() throws Exception {
    String model = uniqueModel("numbered");
    List<Future<Integer>> futures = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      futures.add(
          pool.submit(
              () -> {
                List<Integer> mine = new ArrayList<>();
                for (int j = 0; j < 5; j++) {
                  mine.add(versions.register(model, Map.of(), List.of()).version());
                }
                return mine.size();
              }));
    }
    for (Future<Integer> f : futures) {
      assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(5);
    }
    JsonNode all = json(get("/api/v1/models/" + model + "/versions?size=100"));
    List<Integer> numbers = new ArrayList<>();
    all.get("items").forEach(v -> numbers.add(v.get("version").asInt()));
    assertThat(Set.copyOf(numbers)).hasSize(20);
    assertThat(numbers.get(0)).isEqualTo(20);
  }
}
