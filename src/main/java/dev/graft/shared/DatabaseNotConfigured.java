package dev.graft.shared;

/**
 * Start-up found no database: {@code spring.datasource.url} is unset and the embedded PostgreSQL is
 * turned off ({@code graft.embedded-database=false}, as in the container image and the Helm chart).
 * Reported by {@link DatabaseNotConfiguredFailureAnalyzer} with what to set.
 */
public class DatabaseNotConfigured extends RuntimeException {

  DatabaseNotConfigured() {
    super(
        "no database is configured: spring.datasource.url (SPRING_DATASOURCE_URL) is not set and"
            + " the embedded PostgreSQL is turned off (graft.embedded-database=false)");
  }
}
