package dev.graft.architecture;

import dev.graft.format.FormatException;
import dev.graft.format.TorchScriptIndex;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A second opinion on a TorchScript architecture: the archive is loaded by the PyTorch engine the
 * workers use, and its parameter list must agree with what Graft read from the archive's code
 * without running it. Implemented where the engine lives ({@code dev.graft.warmstart.internal}).
 */
public interface TorchScriptEngineCheck {

  /**
   * Checks that the engine loads the archive and lists the same parameters, in order, with the same
   * shapes.
   *
   * @param index what Graft read from the archive
   * @param archive the archive's bytes
   * @param localFile the archive as a local file, where there is one
   * @throws FormatException when the engine cannot load the archive or lists other parameters
   */
  void verify(TorchScriptIndex index, SeekableByteChannel archive, Optional<Path> localFile)
      throws IOException;
}
