package dev.ledgerflow.projections;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The module's features depend on each other without cycles, and on nothing of the delivery and HTTP modules beside and above it. */
@AnalyzeClasses(packages = "dev.ledgerflow.projections", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule the_features_are_free_of_cycles = slices()
            .matching("dev.ledgerflow.projections.(*)..")
            .should().beFreeOfCycles()
            .because("each read model builds on the shared machinery (projector), never on a sibling that needs it back");

    @ArchTest
    static final ArchRule nothing_here_knows_the_http_layer_or_delivery = noClasses()
            .should().dependOnClassesThat().resideInAnyPackage("dev.ledgerflow.gateway..", "dev.ledgerflow.delivery..",
                    "org.springframework.web..", "org.springframework.http..")
            .because("read models are used by the HTTP layer, not the other way, and need nothing of what carries events out");
}
