package dev.graft;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.graft.format.read.CheckpointReader;
import dev.graft.format.safetensors.SafetensorsWriter;
import dev.graft.format.torch.TorchStateDictWriter;
import dev.graft.format.torchscript.TorchScriptEntry;
import dev.graft.format.torchscript.TorchScriptIndex;
import dev.graft.format.torchscript.TorchScriptReader;
import dev.graft.format.torchscript.TorchScriptRewriter;
import dev.graft.format.zip.RangeCrc;
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
    for (String feature :
        new String[] {"checkpoint", "architecture", "warmstart", "registry", "format"}) {
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

  /**
   * Outside {@code dev.graft.format}, code uses the root package (the vocabulary every caller
   * needs) and these entry points only; everything else in the format subpackages is theirs.
   */
  @Test
  void codeOutsideFormatShouldUseOnlyItsRootPackageAndEntryPoints() {
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.graft.format..")
        .should()
        .dependOnClassesThat(
            resideInAPackage("dev.graft.format.*..")
                .and(
                    not(
                        belongToAnyOf(
                            CheckpointReader.class,
                            RangeCrc.class,
                            SafetensorsWriter.class,
                            TorchStateDictWriter.class,
                            TorchScriptReader.class,
                            TorchScriptRewriter.class,
                            TorchScriptIndex.class,
                            TorchScriptEntry.class))))
        .because(
            "the format subpackages are reached through dev.graft.format and their entry"
                + " points: read.CheckpointReader, zip.RangeCrc, the writers, and the TorchScript"
                + " reader and rewriter with their index")
        .check(CLASSES);
  }

  /**
   * The format packages depend one way: the vocabulary at the bottom, the shared parsing primitives
   * above it, one package per format above those, and the format-detecting entry point on top.
   */
  @Test
  void formatPackagesShouldDependOnlyDownwards() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("Vocabulary")
        .definedBy("dev.graft.format")
        .layer("Internal")
        .definedBy("dev.graft.format.internal..")
        .layer("Zip")
        .definedBy("dev.graft.format.zip..")
        .layer("Pickle")
        .definedBy("dev.graft.format.pickle..")
        .layer("Safetensors")
        .definedBy("dev.graft.format.safetensors..")
        .layer("Torch")
        .definedBy("dev.graft.format.torch..")
        .layer("TorchScript")
        .definedBy("dev.graft.format.torchscript..")
        .layer("Read")
        .definedBy("dev.graft.format.read..")
        .whereLayer("Read")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("TorchScript")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("Torch")
        .mayOnlyBeAccessedByLayers("TorchScript", "Read")
        .whereLayer("Safetensors")
        .mayOnlyBeAccessedByLayers("Read")
        .whereLayer("Pickle")
        .mayOnlyBeAccessedByLayers("Torch", "TorchScript")
        .whereLayer("Zip")
        .mayOnlyBeAccessedByLayers("Torch", "TorchScript", "Read")
        .whereLayer("Internal")
        .mayOnlyBeAccessedByLayers("Zip", "Pickle", "Safetensors", "Torch", "TorchScript", "Read")
        .check(CLASSES);
  }

  @Test
  void formatSubpackagesShouldNotDependOnEachOtherInCycles() {
    slices().matching("dev.graft.format.(*)..").should().beFreeOfCycles().check(CLASSES);
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
