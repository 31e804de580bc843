package dev.graft.warmstart.internal;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.graft.architecture.TorchScriptEngineCheck;
import dev.graft.format.FormatException;
import dev.graft.format.TorchScriptEntry;
import dev.graft.format.TorchScriptIndex;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Loads a TorchScript architecture in DJL's PyTorch engine (on the CPU: only the parameter list is
 * wanted) and compares its named parameters with the ones Graft read from the archive's code. DJL
 * lists parameters but not buffers, so buffers are taken from the archive alone.
 */
@Component
class DjlTorchScriptCheck implements TorchScriptEngineCheck {

  @Override
  public void verify(TorchScriptIndex index, SeekableByteChannel archive, Optional<Path> localFile)
      throws IOException {
    Path file = localFile.orElse(null);
    Path copy = null;
    if (file == null) {
      copy = Files.createTempFile("graft-torchscript-", ".pt");
      archive.position(0);
      try (InputStream in = Channels.newInputStream(archive)) {
        Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
      }
      file = copy;
    }
    List<String> engine = new ArrayList<>();
    EngineDevices.engine();
    try (Model model = Model.newInstance("architecture", Device.cpu(), EngineDevices.ENGINE_NAME)) {
      model.load(file.getParent(), file.getFileName().toString());
      for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
        engine.add(p.getKey() + Arrays.toString(p.getValue().getArray().getShape().getShape()));
      }
    } catch (MalformedModelException | RuntimeException e) {
      throw FormatException.unsupported(
          "the PyTorch engine could not load this TorchScript archive: "
              + firstLine(e.getMessage()));
    } finally {
      if (copy != null) {
        Files.deleteIfExists(copy);
      }
    }
    List<String> read = new ArrayList<>();
    for (TorchScriptEntry e : index.entries()) {
      if (e.kind() == TorchScriptEntry.Kind.PARAMETER) {
        read.add(
            e.key()
                + Arrays.toString(
                    e.tensor().shape().stream().mapToLong(Long::longValue).toArray()));
      }
    }
    if (!engine.equals(read)) {
      throw FormatException.malformed(
          "the archive's code lists parameters "
              + abbreviate(read)
              + " but the PyTorch engine loads "
              + abbreviate(engine));
    }
  }

  private static String abbreviate(List<String> names) {
    return names.size() <= 8
        ? names.toString()
        : names.subList(0, 8) + " and " + (names.size() - 8) + " more";
  }

  private static String firstLine(String s) {
    return s == null ? "unknown error" : s.lines().findFirst().orElse(s);
  }
}
