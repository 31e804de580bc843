package dev.graft.architecture.internal;

import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;

/** Architecture rows. */
public interface ArchitectureRepository extends JpaRepository<ArchitectureEntity, UUID> {

  Optional<ArchitectureEntity> findBySha256(String sha256);

  boolean existsBySha256(String sha256);
}
