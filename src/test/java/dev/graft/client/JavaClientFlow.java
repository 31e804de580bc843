package dev.graft.client;

import graft.client.ApiClient;
import graft.client.api.ArchitecturesApi;
import graft.client.api.CheckpointsApi;
import graft.client.api.ModelsApi;
import graft.client.api.PreviewsApi;
import graft.client.api.WarmStartsApi;
import graft.client.model.Architecture;
import graft.client.model.ArchitectureDocument;
import graft.client.model.ArchitectureDocumentEntry;
import graft.client.model.Checkpoint;
import graft.client.model.Init;
import graft.client.model.KeyRule;
import graft.client.model.LoadOptions;
import graft.client.model.ModelVersion;
import graft.client.model.PreviewRequest;
import graft.client.model.Report;
import graft.client.model.Run;
import graft.client.model.StripPrefixRule;
import graft.client.model.WarmStartOutput;
import graft.client.model.WarmStartRequest;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * The README's main flow written only against the Java client generated from {@code
 * openapi/graft.json}, as a user would write it: upload a checkpoint (a file, streamed), create an
 * architecture from a JSON descriptor, preview, start a warm start, poll it, read its report and
 * version, download the artifact. {@link JavaClientFlowTests} runs it in a JVM of its own whose
 * heap is smaller than the checkpoint, so it only passes if the client streams both ways.
 *
 * <p>Arguments: base URL, token, checkpoint file, model name, result file (a small JSON the test
 * reads). Exits non-zero on any failure.
 */
public final class JavaClientFlow {

  public static void main(String[] args) throws Exception {
    String baseUrl = args[0];
    String token = args[1];
    File checkpointFile = new File(args[2]);
    String model = args[3];
    Path result = Path.of(args[4]);

    ApiClient client = new ApiClient();
    client.updateBaseUri(baseUrl);
    client.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token));

    Checkpoint checkpoint =
        new CheckpointsApi(client)
            .uploadCheckpoint(checkpointFile, model + "-ckpt", null, null, null);

    Architecture architecture =
        new ArchitecturesApi(client)
            .createArchitecture(
                new ArchitectureDocument()
                    .name(model + "-arch")
                    .entries(
                        List.of(
                            new ArchitectureDocumentEntry()
                                .key("big.weight")
                                .dtype("float32")
                                .shape(List.of(JavaClientFlowTests.ROWS, JavaClientFlowTests.COLS))
                                .kind(ArchitectureDocumentEntry.KindEnum.PARAMETER)
                                .requiresGrad(true),
                            new ArchitectureDocumentEntry()
                                .key("fc.bias")
                                .dtype("float32")
                                .shape(List.of(10L))
                                .kind(ArchitectureDocumentEntry.KindEnum.PARAMETER)
                                .requiresGrad(true),
                            new ArchitectureDocumentEntry()
                                .key("head.weight")
                                .dtype("float32")
                                .shape(List.of(3L, 10L))
                                .kind(ArchitectureDocumentEntry.KindEnum.PARAMETER)
                                .requiresGrad(true)
                                .init(
                                    new Init()
                                        .scheme(Init.SchemeEnum.KAIMING_UNIFORM)
                                        .a(Math.sqrt(5))))),
                null);

    PreviewsApi previews = new PreviewsApi(client);
    // Without a key rule nothing matches; the report suggests stripping "module.".
    Report unmatched =
        previews.createPreview(
            new PreviewRequest()
                .checkpointId(checkpoint.getId())
                .architectureId(architecture.getId())
                .options(new LoadOptions().strict(false)),
            "all");
    StripPrefixRule suggested =
        unmatched.getSuggestedKeyRules().get(0).getRule().getStripPrefixRule();

    LoadOptions options = new LoadOptions().strict(false).keyRules(List.of(new KeyRule(suggested)));
    Report preview =
        previews.createPreview(
            new PreviewRequest()
                .checkpointId(checkpoint.getId())
                .architectureId(architecture.getId())
                .options(options),
            null);

    WarmStartsApi runs = new WarmStartsApi(client);
    Run run =
        runs.startWarmStart(
            new WarmStartRequest()
                .checkpointId(checkpoint.getId())
                .architectureId(architecture.getId())
                .options(options)
                .output(
                    new WarmStartOutput()
                        .model(model)
                        .formats(List.of(WarmStartOutput.FormatsEnum.SAFETENSORS))
                        .tags(Map.of("made-by", "java-client"))),
            null);
    long deadline = System.nanoTime() + 240_000_000_000L;
    while (run.getStatus() == Run.StatusEnum.QUEUED || run.getStatus() == Run.StatusEnum.RUNNING) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("run " + run.getId() + " did not end: " + run);
      }
      Thread.sleep(100);
      run = runs.getWarmStart(run.getId());
    }
    if (run.getStatus() != Run.StatusEnum.SUCCEEDED) {
      throw new IllegalStateException("run ended " + run.getStatus() + ": " + run.getError());
    }
    Report report = runs.getWarmStartReport(run.getId());
    ModelVersion version =
        new ModelsApi(client).getModelVersion(model, run.getModelVersion().getVersion());
    File artifact =
        new ModelsApi(client)
            .downloadArtifact(model, version.getVersion(), "safetensors", null, null, null);
    // The client's temporary file is deleted when this JVM exits: keep it beside the result.
    Path kept =
        Files.move(
            artifact.toPath(),
            result.resolveSibling("downloaded.safetensors"),
            StandardCopyOption.REPLACE_EXISTING);

    String json =
        "{\"maxHeap\": "
            + Runtime.getRuntime().maxMemory()
            + ", \"suggestedPrefix\": \""
            + suggested.getPrefix()
            + "\", \"suggestedType\": \""
            + suggested.getType().getValue()
            + "\", \"previewLoaded\": "
            + preview.getSummary().getLoaded()
            + ", \"reportLoaded\": "
            + report.getSummary().getLoaded()
            + ", \"reportInitialized\": "
            + report.getSummary().getInitialized()
            + ", \"version\": "
            + version.getVersion()
            + ", \"artifactSha256\": \""
            + version.getArtifacts().get(0).getSha256()
            + "\", \"lineageSha256\": \""
            + version.getLineage().getCheckpointSha256()
            + "\", \"downloaded\": \""
            + kept.toAbsolutePath()
            + "\"}";
    Files.writeString(result, json, StandardCharsets.UTF_8);
  }

  private JavaClientFlow() {}
}
