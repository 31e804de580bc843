package dev.graft.registry;

import dev.graft.shared.DeletionVeto;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;

/** Refuses deleting a checkpoint or an architecture that a model version descends from. */
@Component
class LineageVeto implements DeletionVeto {

  private final RegistryStore store;

  LineageVeto(RegistryStore store) {
    this.store = store;
  }

  @Override
  public Optional<String> whyNot(ResourceKind kind, UUID id) {
    List<String> users = store.versionsDescendingFrom(kind, id, 3);
    if (users.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        kind.word()
            + " "
            + id
            + " is the lineage of model "
            + String.join(", ", users)
            + "; delete those versions first");
  }
}
