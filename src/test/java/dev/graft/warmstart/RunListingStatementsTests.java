package dev.graft.warmstart;

import static dev.graft.SqlStatements.count;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.SqlStatements.Counted;
import dev.graft.TestSupport.QueuedRun;
import dev.graft.WorkerlessTest;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A run listing is lean: a fixed number of statements whatever the page holds, and no report read
 * (a report can be megabytes per run; the listing does not show it).
 */
class RunListingStatementsTests extends WorkerlessTest {

  @Autowired RunService service;
  @Autowired RunStore runs;
  @Autowired JdbcClient jdbc;

  @Test
  void shouldListFiftyRunsInAsManyStatementsAsOneAndReadNoReportButOnRequest() throws Exception {
    String report = "{\"entries\":[" + "{\"k\":\"x\"},".repeat(20_000) + "{}]}";
    UUID last = null;
    for (int i = 0; i < 50; i++) {
      last = QueuedRun.ofNothing().insert(jdbc);
      jdbc.sql("update warm_start_run set report = ? where id = ?").params(report, last).update();
    }
    Counted<PageResponse<Run>> one = count(() -> service.list(null, new PageRequest(0, 1)));
    Counted<PageResponse<Run>> fifty = count(() -> service.list(null, new PageRequest(0, 50)));
    System.out.printf(
        "run listing of %d runs: %d SQL statements (of 1 run: %d)%n",
        fifty.result().items().size(), fifty.statements(), one.statements());
    assertThat(fifty.result().items()).hasSize(50);
    assertThat(fifty.statements()).isEqualTo(one.statements()).isLessThanOrEqualTo(2);
    assertThat(runs.list(null, 0, 50)).allSatisfy(r -> assertThat(r.reportJson()).isNull());
    // A run read by id, as every poll does, leaves its report in the database too; the report is
    // read on its own.
    assertThat(runs.find(last).orElseThrow().reportJson()).isNull();
    assertThat(runs.report(last).orElseThrow().json()).isEqualTo(report);
  }
}
