package dev.graft.security;

import dev.graft.shared.GraftProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * The first admin token, in token mode, in a process serving the API: when no token exists at
 * start-up, Graft creates one, or takes {@code graft.security.bootstrap-token} when it is set.
 *
 * <p>A token Graft creates is written to {@code <graft.data-dir>/admin-token}, readable and
 * writable by its owner only, and the log says where that file is, never what it holds. The file is
 * written before the token's row commits, so a token nobody can read is never left behind. Replicas
 * starting at once race on a unique index that admits one bootstrap row; the others find tokens and
 * do nothing. The setting only seeds an empty table: once tokens exist it is ignored, so a revoked
 * bootstrap token stays revoked across restarts.
 */
@Component
class TokenBootstrap implements ApplicationRunner {

  /** The file the created token is written to, inside the data folder. */
  static final String FILE_NAME = "admin-token";

  private static final Logger log = LoggerFactory.getLogger(TokenBootstrap.class);

  private final TokenService tokens;
  private final GraftProperties properties;

  TokenBootstrap(TokenService tokens, GraftProperties properties) {
    this.tokens = tokens;
    this.properties = properties;
  }

  @Override
  public void run(ApplicationArguments args) {
    GraftProperties.Security security = properties.security();
    if (security.mode() != GraftProperties.SecurityMode.TOKEN || !properties.api()) {
      return;
    }
    String configured = security.bootstrapToken() == null ? "" : security.bootstrapToken().strip();
    if (!configured.isEmpty() && TokenSecrets.prefixOf(configured) == null) {
      // The value itself is never repeated: it may be one typo away from a real secret.
      throw new IllegalStateException(
          "graft.security.bootstrap-token (GRAFT_SECURITY_BOOTSTRAPTOKEN) is not a Graft token: it"
              + " must read "
              + TokenSecrets.SHAPE_IN_WORDS
              + ", e.g. graft_$(openssl rand -hex 4)_$(openssl rand -hex 32); the value given has "
              + configured.length()
              + " characters");
    }
    Path file = properties.dataDir().resolve(FILE_NAME).toAbsolutePath().normalize();
    boolean fromSetting = !configured.isEmpty();
    String token = fromSetting ? configured : TokenSecrets.newToken();
    Optional<TokenStore.TokenRow> created =
        tokens.bootstrap(
            token,
            fromSetting
                ? () -> {}
                : () -> {
                  try {
                    writeOwnerOnly(file, token);
                  } catch (IOException e) {
                    throw new UncheckedIOException(
                        "cannot write the first admin token to " + file, e);
                  }
                });
    if (created.isEmpty()) {
      if (fromSetting) {
        log.info(
            "graft.security.bootstrap-token is set but tokens exist already: it is not used (it only"
                + " seeds an empty token table)");
      }
      return;
    }
    if (fromSetting) {
      log.info(
          "Created the first admin token from graft.security.bootstrap-token ({})",
          TokenSecrets.display(created.get().prefix()));
    } else {
      log.warn(
          "Created the first admin token ({}) and wrote it to {} (readable by its owner only)."
              + " Send it as 'Authorization: Bearer $(cat {})', create tokens for people and"
              + " programs with POST /api/v1/tokens, then delete the file.",
          TokenSecrets.display(created.get().prefix()),
          file,
          file);
    }
  }

  /**
   * Writes the token to a file only its owner may read or write, replacing an older one: created
   * with those permissions (never readable by others, even for a moment), then moved into place.
   */
  static void writeOwnerOnly(Path file, String token) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
    Files.deleteIfExists(tmp);
    byte[] bytes = (token + "\n").getBytes(StandardCharsets.US_ASCII);
    if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      try {
        Files.createFile(
            tmp,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (FileAlreadyExistsException e) {
        throw new IOException("another process is writing " + tmp, e);
      }
    } else {
      log.warn(
          "{} is on a file system without POSIX permissions: restrict who may read it yourself",
          file);
      Files.createFile(tmp);
    }
    Files.write(tmp, bytes, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
