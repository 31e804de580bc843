package dev.graft.warmstart;

import static dev.graft.TestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.IntegrationTest;
import dev.graft.TestSupport;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.ReadLimits;
import dev.graft.format.TensorData;
import dev.graft.format.TensorInfo;
import dev.graft.format.read.CheckpointReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Warm-start runs end to end: uploaded as a user would, executed by the in-process worker through
 * DJL, and checked against what torch's own {@code load_state_dict} produced, bit for bit.
 */
class RunApiTests extends IntegrationTest {

  @Autowired JdbcClient jdbc;

  /** Uploads a case's files and submits a run; returns the run's JSON. */
  private JsonNode submit(JsonNode c, String model, String idempotencyKey) throws Exception {
    String ckpt =
        json(postFile(
                "/api/v1/checkpoints?name=" + c.get("name").asString(),
                resource(ORACLE + c.get("checkpointFile").asString())))
            .get("id")
            .asString();
    String arch =
        json(postFile(
                "/api/v1/architectures?name=" + c.get("target").get("name").asString(),
                resource(ORACLE + c.get("targetFile").asString())))
            .get("id")
            .asString();
    ObjectNode body = JSON.createObjectNode();
    body.put("checkpointId", ckpt);
    body.put("architectureId", arch);
    body.set("options", c.get("options"));
    ObjectNode output = body.putObject("output");
    output.put("model", model);
    output.putArray("formats").add("safetensors").add("pytorch");
    output.put("description", "oracle case " + c.get("name").asString());
    output.putObject("tags").put("case", c.get("name").asString());
    output.putArray("aliases").add("latest");
    HttpRequest.Builder req =
        HttpRequest.newBuilder(uri("/api/v1/warm-starts"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (idempotencyKey != null) {
      req.header("Idempotency-Key", idempotencyKey);
    }
    HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    assertThat(r.headers().firstValue("Location"))
        .hasValue("/api/v1/warm-starts/" + json(r).get("id").asString());
    return json(r);
  }

  @TestFactory
  Stream<DynamicTest> shouldWriteExactlyWhatTorchLoadsForEverySuccessfulOracleCase()
      throws Exception {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : oracleCases()) {
      if (!c.get("expected").get("outcome").asString().equals("OK")) {
        continue;
      }
      tests.add(
          DynamicTest.dynamicTest(
              c.get("name").asString(),
              () -> {
                String model = "oracle-" + c.get("name").asString().replace('_', '-');
                JsonNode run = awaitRun(submit(c, model, null).get("id").asString());

                assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
                assertThat(run.get("device").asString()).isEqualTo("cpu");
                assertThat(run.get("progress").get("tensorsDone").asInt())
                    .isEqualTo(run.get("progress").get("tensorsTotal").asInt());
                JsonNode v = run.get("modelVersion");
                assertThat(v.get("model").asString()).isEqualTo(model);
                JsonNode version =
                    json(get("/api/v1/models/" + model + "/versions/" + v.get("version").asInt()));
                assertThat(version.get("artifacts")).hasSize(2);
                assertThat(version.get("lineage").get("checkpointSha256").asString()).hasSize(64);
                assertThat(version.get("aliases").get(0).asString()).isEqualTo("latest");
                assertThat(version.get("tags").get("case").asString())
                    .isEqualTo(c.get("name").asString());
                for (String format : List.of("safetensors", "pytorch")) {
                  assertHolds(
                      download(model, v.get("version").asInt(), format),
                      c.get("expected").get("result"));
                }
                JsonNode report =
                    json(get("/api/v1/warm-starts/" + run.get("id").asString() + "/report"));
                assertThat(report.get("outcome").asString()).isEqualTo("OK");
              }));
    }
    return tests.stream();
  }

  @Test
  void shouldWriteTheTargetsTorchScriptArchiveWithTheWarmStartedWeights() throws Exception {
    TorchScriptRun ts = warmStartTorchScript();
    JsonNode c = ts.oracleCase();
    String ckpt = ts.checkpointId();
    Path archive = ts.archive();
    try (FileChannel ch = FileChannel.open(archive, StandardOpenOption.READ)) {
      dev.graft.format.torchscript.TorchScriptIndex index =
          dev.graft.format.torchscript.TorchScriptReader.read(ch, ReadLimits.defaults());
      JsonNode result = c.get("expected").get("result");
      assertThat(index.tensors())
          .extracting(TensorInfo::key)
          .containsExactlyElementsOf(result.propertyNames());
      for (TensorInfo t : index.tensors()) {
        String sha = sha256(TensorData.readContiguous(ch, t));
        assertThat(sha)
            .as("bytes of " + t.key() + " in the archive")
            .isEqualTo(result.get(t.key()).asString());
      }
    }
    HttpResponse<String> notScript =
        postJson(
            "/api/v1/warm-starts",
            "{\"checkpointId\":\""
                + ckpt
                + "\",\"architectureId\":\""
                + json(postFile(
                        "/api/v1/architectures?name=x",
                        resource(ORACLE + c.get("targetFile").asString())))
                    .get("id")
                    .asString()
                + "\",\"output\":{\"model\":\"m\",\"formats\":[\"torchscript\"]}}");
    assertThat(notScript.statusCode()).isEqualTo(400);
    assertThat(json(notScript).get("detail").asString()).contains("TorchScript archive");
  }

  @Test
  void shouldWriteATorchScriptArchiveThatTorchLoads() throws Exception {
    TestSupport.assumeTorch();
    Path archive = warmStartTorchScript().archive();
    Process p =
        new ProcessBuilder(
                "/usr/bin/python3",
                "-c",
                "import sys, torch; m = torch.jit.load(sys.argv[1]); print(len(m.state_dict()))",
                archive.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }

  private record TorchScriptRun(JsonNode oracleCase, String checkpointId, Path archive) {}

  /** Warm-starts the TorchScript target of an oracle case and downloads its archive. */
  private TorchScriptRun warmStartTorchScript() throws Exception {
    JsonNode c = oracleCase("grown_vocab_copy_overlap");
    String ckpt =
        json(postFile(
                "/api/v1/checkpoints?name=ts",
                resource(ORACLE + c.get("checkpointFile").asString())))
            .get("id")
            .asString();
    JsonNode arch =
        json(
            postFile(
                "/api/v1/architectures?name=" + c.get("target").get("name").asString(),
                resource(ORACLE + c.get("targetScriptFile").asString())));
    assertThat(arch.get("source").asString()).isEqualTo("TORCHSCRIPT");
    String model = "ts-" + UUID.randomUUID();
    ObjectNode body = JSON.createObjectNode();
    body.put("checkpointId", ckpt);
    body.put("architectureId", arch.get("id").asString());
    body.set("options", c.get("options"));
    body.putObject("output")
        .put("model", model)
        .putArray("formats")
        .add("torchscript")
        .add("pytorch");

    JsonNode run =
        awaitRun(json(postJson("/api/v1/warm-starts", body.toString())).get("id").asString());

    assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
    assertHolds(download(model, 1, "pytorch"), c.get("expected").get("result"));
    Path archive = download(model, 1, "torchscript");
    return new TorchScriptRun(c, ckpt, archive);
  }

  @Test
  void shouldFailAStrictRunThatDoesNotFitWithTorchsTextAndNoVersion() throws Exception {
    JsonNode c = oracleCase("added_layer_strict");
    String model = "strict-" + UUID.randomUUID();
    JsonNode run = awaitRun(submit(c, model, null).get("id").asString());

    assertThat(run.get("status").asString()).isEqualTo("FAILED");
    assertThat(run.get("error").asString()).isEqualTo(c.get("expected").get("error").asString());
    assertThat(run.get("modelVersion").isNull()).isTrue();
    JsonNode report = json(get("/api/v1/warm-starts/" + run.get("id").asString() + "/report"));
    assertThat(report.get("outcome").asString()).isEqualTo("FAILED");
    assertThat(get("/api/v1/models/" + model + "/versions").statusCode()).isEqualTo(404);
  }

  @Test
  void shouldLoadIntoTheTargetWithStrictAndTrainTheNewLayersInTorch() throws Exception {
    TestSupport.assumeTorch();
    JsonNode c = oracleCase("added_layer_lenient");
    String model = "seed-question-" + UUID.randomUUID();
    JsonNode run = awaitRun(submit(c, model, null).get("id").asString());
    assertThat(run.get("status").asString()).isEqualTo("SUCCEEDED");

    JsonNode report = json(get("/api/v1/warm-starts/" + run.get("id").asString() + "/report"));
    List<String> fresh = new ArrayList<>();
    for (JsonNode e : report.get("entries")) {
      if (e.get("status").asString().equals("INITIALIZED")) {
        assertThat(e.get("requiresGrad").asBoolean()).isTrue();
        fresh.add(e.get("targetKey").asString());
      }
    }
    assertThat(fresh).containsExactly("extra.weight", "extra.bias");

    Path pt = download(model, run.get("modelVersion").get("version").asInt(), "pytorch");
    Process p =
        new ProcessBuilder(
                "/usr/bin/python3",
                resourceRoot().resolve("../../scripts/check_artifact.py").normalize().toString(),
                pt.toString(),
                resource(ORACLE + c.get("targetScriptFile").asString()).toString(),
                "--train",
                String.join(",", fresh))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("OK");
  }

  @Test
  void shouldReplayTheSameRunForTheSameIdempotencyKeyAndRefuseAnotherBody() throws Exception {
    JsonNode c = oracleCase("identical_strict");
    String key = "key-" + UUID.randomUUID();
    String model = "idem-" + UUID.randomUUID();
    JsonNode first = submit(c, model, key);
    JsonNode again = submit(c, model, key);
    assertThat(again.get("id").asString()).isEqualTo(first.get("id").asString());

    ObjectNode other = JSON.createObjectNode();
    other.put("checkpointId", first.get("checkpointId").asString());
    other.put("architectureId", first.get("architectureId").asString());
    other.putObject("output").put("model", model + "-other");
    HttpResponse<String> conflict =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/warm-starts"))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(other.toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(conflict.statusCode()).isEqualTo(409);
    assertThat(json(conflict).get("detail").asString()).contains(key);
    awaitRun(first.get("id").asString());
  }

  @Test
  void shouldPickUpARunWhoseWorkerWasKilledMidRun() throws Exception {
    JsonNode c = oracleCase("identical_lenient");
    JsonNode queued = submit(c, "killed-" + UUID.randomUUID(), null);
    String id = queued.get("id").asString();
    // What a worker killed mid-run leaves behind: RUNNING, partly done, under a lease nobody
    // renews.
    // The in-process worker may have claimed it already; take it over as the dead worker would hold
    // it.
    awaitRun(id);
    jdbc.sql(
            "update warm_start_run set status = 'RUNNING', attempts = 1, lease_owner = 'killed-worker',"
                + " lease_expires_at = now() + interval '1 second', tensors_done = 1, finished_at = null,"
                + " model_name = null, model_version = null where id = ?")
        .param(UUID.fromString(id))
        .update();

    JsonNode run = awaitRun(id);

    assertThat(run.get("status").asString()).isEqualTo("SUCCEEDED");
    assertThat(run.get("attempts").asInt()).isEqualTo(2);
    assertThat(run.get("modelVersion").get("version").asInt()).isEqualTo(2);
  }

  @Test
  void shouldRefuseToCancelAFinishedRun() throws Exception {
    JsonNode c = oracleCase("identical_strict");
    JsonNode run = awaitRun(submit(c, "cancel-" + UUID.randomUUID(), null).get("id").asString());
    assertThat(run.get("status").asString()).isEqualTo("SUCCEEDED");
    HttpResponse<String> cancel =
        postJson("/api/v1/warm-starts/" + run.get("id").asString() + "/cancel", "");
    assertThat(cancel.statusCode()).isEqualTo(409);
    assertThat(cancel.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(json(cancel).get("detail").asString()).contains("already ended SUCCEEDED");
  }

  @Test
  void shouldListRunsByStatusAndAnswerForUnknownIds() throws Exception {
    JsonNode done =
        awaitRun(
            submit(oracleCase("identical_strict"), "listed-" + UUID.randomUUID(), null)
                .get("id")
                .asString());
    assertThat(done.get("status").asString()).isEqualTo("SUCCEEDED");
    JsonNode succeeded = json(get("/api/v1/warm-starts?status=SUCCEEDED&size=1000")).get("items");
    assertThat(succeeded).isNotEmpty();
    assertThat(succeeded)
        .allSatisfy(r -> assertThat(r.get("status").asString()).isEqualTo("SUCCEEDED"));
    assertThat(succeeded).anySatisfy(r -> assertThat(r.get("id")).isEqualTo(done.get("id")));
    assertThat(get("/api/v1/warm-starts?status=DONE").statusCode()).isEqualTo(400);
    assertThat(get("/api/v1/warm-starts/" + UUID.randomUUID()).statusCode()).isEqualTo(404);
    assertThat(get("/api/v1/warm-starts/" + UUID.randomUUID() + "/report").statusCode())
        .isEqualTo(404);
    HttpResponse<String> unknown =
        postJson(
            "/api/v1/warm-starts",
            "{\"checkpointId\":\""
                + UUID.randomUUID()
                + "\",\"architectureId\":\""
                + UUID.randomUUID()
                + "\",\"output\":{\"model\":\"x\"}}");
    assertThat(unknown.statusCode()).isEqualTo(422);
  }

  @Test
  void shouldRefuseBadOutputs() throws Exception {
    JsonNode c = oracleCase("identical_strict");
    JsonNode run = submit(c, "outputs-" + UUID.randomUUID(), null);
    String base =
        "{\"checkpointId\":\""
            + run.get("checkpointId").asString()
            + "\",\"architectureId\":\""
            + run.get("architectureId").asString()
            + "\",";
    for (Map.Entry<String, String> bad :
        Map.of(
                "\"output\":{\"model\":\"a/b\"}", "output.model",
                "\"output\":{\"model\":\"m\",\"formats\":[\"onnx\"]}", "output.formats",
                "\"output\":{}", "output.model")
            .entrySet()) {
      HttpResponse<String> r = postJson("/api/v1/warm-starts", base + bad.getKey() + "}");
      assertThat(r.statusCode()).as(bad.getKey()).isEqualTo(400);
      assertThat(json(r).get("errors").get(0).get("field").asString()).isEqualTo(bad.getValue());
    }
    awaitRun(run.get("id").asString());
  }

  @Test
  void shouldRefuseToDeleteACheckpointThatAVersionCameFrom() throws Exception {
    JsonNode c = oracleCase("identical_lenient");
    JsonNode run = awaitRun(submit(c, "lineage-" + UUID.randomUUID(), null).get("id").asString());
    HttpResponse<String> r = delete("/api/v1/checkpoints/" + run.get("checkpointId").asString());
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(json(r).get("detail").asString()).contains("lineage");
  }

  @Test
  void shouldInitialiseJsonEntriesOnTheDeviceReproduciblyFromTheSeed() throws Exception {
    JsonNode c = oracleCase("added_layer_lenient");
    String ckpt =
        json(postFile(
                "/api/v1/checkpoints?name=json-src",
                resource(ORACLE + c.get("checkpointFile").asString())))
            .get("id")
            .asString();
    ObjectNode doc = JSON.createObjectNode();
    doc.put("name", "MLP");
    var entries = doc.putArray("entries");
    for (JsonNode e : c.get("target").get("entries")) {
      ObjectNode entry = (ObjectNode) e.deepCopy();
      if (entry.get("key").asString().equals("extra.weight")) {
        entry.putObject("init").put("scheme", "normal").put("mean", 0.0).put("std", 0.02);
      }
      entries.add(entry);
    }
    String arch = json(postJson("/api/v1/architectures", doc.toString())).get("id").asString();

    List<String> shas = new ArrayList<>();
    for (long seed : new long[] {7, 7, 8}) {
      String body =
          "{\"checkpointId\":\""
              + ckpt
              + "\",\"architectureId\":\""
              + arch
              + "\",\"options\":{\"strict\":false,\"initSeed\":"
              + seed
              + "},\"output\":{\"model\":\"json-init-"
              + UUID.randomUUID()
              + "\",\"formats\":[\"safetensors\"]}}";
      JsonNode run = awaitRun(json(postJson("/api/v1/warm-starts", body)).get("id").asString());
      assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
      Path file = download(run.get("modelVersion").get("model").asString(), 1, "safetensors");
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        CheckpointIndex index = CheckpointReader.read(ch, null, null, ReadLimits.defaults());
        for (TensorInfo t : index.tensors()) {
          java.nio.FloatBuffer values =
              java.nio.ByteBuffer.wrap(TensorData.readContiguous(ch, t))
                  .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                  .asFloatBuffer();
          if (t.key().equals("extra.weight")) {
            // The file differs per run (its metadata names the run); the drawn values must not.
            shas.add(sha256(TensorData.readContiguous(ch, t)));
            double sum = 0;
            int nonZero = 0;
            for (int i = 0; i < values.limit(); i++) {
              sum += Math.abs(values.get(i));
              nonZero += values.get(i) != 0 ? 1 : 0;
            }
            assertThat(nonZero).as("normal(0, 0.02) draws").isEqualTo(values.limit());
            assertThat(sum / values.limit())
                .as("mean |x| of normal(0, 0.02)")
                .isBetween(0.001, 0.05);
          }
          if (t.key().equals("extra.bias")) {
            // No init given: the JSON default for a 1-dim parameter is zeros.
            for (int i = 0; i < values.limit(); i++) {
              assertThat(values.get(i)).isZero();
            }
          }
        }
      }
    }
    assertThat(shas.get(0)).as("same seed, same bytes").isEqualTo(shas.get(1));
    assertThat(shas.get(2)).as("another seed, other bytes").isNotEqualTo(shas.get(0));
  }

  @Test
  void shouldFailAfterItsAttemptsWhenTheCheckpointBlobIsGone() throws Exception {
    // A checkpoint of its own (random values, so no other test shares its bytes or its blob).
    Path file = Files.createTempFile("graft-fault-", ".safetensors");
    byte[] values = new byte[4 * 6];
    new java.util.Random().nextBytes(values);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      var layout =
          List.of(dev.graft.format.OutputTensor.of("w", dev.graft.format.DType.FLOAT32, 2, 3));
      var writer = dev.graft.format.safetensors.SafetensorsWriter.open(ch, layout, Map.of());
      writer.write("w", java.nio.ByteBuffer.wrap(values));
      writer.finish();
    }
    JsonNode ckpt = json(postFile("/api/v1/checkpoints?name=fault", file));
    String arch =
        json(postJson(
                "/api/v1/architectures",
                "{\"name\":\"Fault\",\"entries\":[{\"key\":\"w\",\"dtype\":\"float32\",\"shape\":[2,3]}]}"))
            .get("id")
            .asString();
    String sha = ckpt.get("sha256").asString();
    Files.delete(
        DATA_DIR
            .resolve("blobs/sha256")
            .resolve(sha.substring(0, 2))
            .resolve(sha.substring(2, 4))
            .resolve(sha));

    String body =
        "{\"checkpointId\":\""
            + ckpt.get("id").asString()
            + "\",\"architectureId\":\""
            + arch
            + "\",\"output\":{\"model\":\"fault-"
            + UUID.randomUUID()
            + "\"}}";
    JsonNode run = awaitRun(json(postJson("/api/v1/warm-starts", body)).get("id").asString());

    assertThat(run.get("status").asString()).isEqualTo("FAILED");
    assertThat(run.get("attempts").asInt()).isEqualTo(3);
    assertThat(run.get("error").asString())
        .contains(sha)
        .contains("not in the store")
        .contains("no attempts left");
    assertThat(run.get("modelVersion").isNull()).isTrue();
    try (Stream<Path> work = Files.list(DATA_DIR.resolve("work"))) {
      assertThat(work.filter(p -> p.getFileName().toString().startsWith(run.get("id").asString())))
          .as("work folders removed")
          .isEmpty();
    }
  }

  /** The test classes folder, from which the repository's scripts folder is found. */
  private static Path resourceRoot() {
    return resource(ORACLE + "cases.json").getParent().getParent().getParent();
  }
}
