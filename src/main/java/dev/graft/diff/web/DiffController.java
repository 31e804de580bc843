package dev.graft.diff.web;

import dev.graft.diff.DiffRequest;
import dev.graft.diff.DiffService;
import dev.graft.plan.LayoutDiff;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The layout-diff endpoint: two layouts compared key by key, nothing stored. */
@RestController
@RequestMapping("/api/v1/diffs")
@Tag(name = "Diffs", description = "Compare two layouts key by key and suggest reconciling rules")
class DiffController {

  private final DiffService service;

  DiffController(DiffService service) {
    this.service = service;
  }

  @Operation(
      operationId = "createDiff",
      summary =
          "Compare two layouts (checkpoint, architecture or model version) key by key: added,"
              + " removed, shape- and dtype-changed keys, the unchanged count and suggested key"
              + " rules")
  @ApiResponse(responseCode = "200", description = "The comparison")
  @ApiResponse(responseCode = "400", description = "A side that names not exactly one layout")
  @ApiResponse(
      responseCode = "422",
      description = "A side that names something that does not exist")
  @PostMapping
  LayoutDiff.Result diff(@RequestBody DiffRequest request) {
    return service.diff(request);
  }
}
