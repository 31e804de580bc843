package dev.graft;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Keeps the layout the design asks for true as the code grows. */
class ModularityTests {

  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.graft");

  @Test
  void formatAndPlanShouldBePlainJavaWithoutSpringOrPersistence() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.graft.format..", "dev.graft.plan..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.springframework..",
            "jakarta..",
            "dev.graft.shared..",
            "dev.graft.storage..",
            "ai.djl..")
        .allowEmptyShould(true)
        .check(CLASSES);
  }

  @Test
  void controllersShouldNotReachRepositoriesOrEntities() {
    noClasses()
        .that()
        .resideInAPackage("..web..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("..internal..")
        .check(CLASSES);
  }

  @Test
  void internalsShouldOnlyBeUsedByTheirOwnFeature() {
    for (String feature : new String[] {"checkpoint", "architecture", "warmstart", "registry"}) {
      noClasses()
          .that()
          .resideOutsideOfPackage("dev.graft." + feature + "..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("dev.graft." + feature + ".internal..")
          .allowEmptyShould(true)
          .check(CLASSES);
    }
  }

  @Test
  void djlShouldOnlyBeUsedInsideTheWarmStartInternals() {
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.graft.warmstart.internal..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("ai.djl..")
        .allowEmptyShould(true)
        .check(CLASSES);
  }

  @Test
  void theAwsSdkShouldOnlyBeUsedInsideStorage() {
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.graft.storage..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("software.amazon.awssdk..")
        .check(CLASSES);
  }

  @Test
  void featuresShouldNotDependOnEachOtherInCycles() {
    slices().matching("dev.graft.(*)..").should().beFreeOfCycles().check(CLASSES);
  }

  @Test
  void packagesShouldNotDependOnEachOtherInCycles() {
    slices().matching("dev.graft.(**)").should().beFreeOfCycles().check(CLASSES);
  }
}
