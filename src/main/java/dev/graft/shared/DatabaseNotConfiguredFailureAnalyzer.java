package dev.graft.shared;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns {@link DatabaseNotConfigured} into Boot's start-up report: what is wrong, what to set. */
class DatabaseNotConfiguredFailureAnalyzer extends AbstractFailureAnalyzer<DatabaseNotConfigured> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, DatabaseNotConfigured cause) {
    return new FailureAnalysis(
        cause.getMessage()
            + ". Graft will not fall back to a database inside the container, whose data would be"
            + " lost with it.",
        "Set SPRING_DATASOURCE_URL (e.g. jdbc:postgresql://postgres:5432/graft),"
            + " SPRING_DATASOURCE_USERNAME and SPRING_DATASOURCE_PASSWORD to an external"
            + " PostgreSQL; or, for a single local process only, set GRAFT_EMBEDDEDDATABASE=true"
            + " (graft.embedded-database=true) to start the embedded PostgreSQL under"
            + " graft.data-dir.",
        cause);
  }
}
