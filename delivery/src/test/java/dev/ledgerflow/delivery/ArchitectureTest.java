package dev.ledgerflow.delivery;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The module's features depend on each other without cycles, and on nothing of the modules beside or above it. */
@AnalyzeClasses(packages = "dev.ledgerflow.delivery", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule the_features_are_free_of_cycles = slices()
            .matching("dev.ledgerflow.delivery.(*)..")
            .should().beFreeOfCycles()
            .because("webhook delivery and the Kafka relay build on the shared Redis connection and the core, never on each other both ways");

    @ArchTest
    static final ArchRule nothing_here_knows_the_http_layer_or_the_read_models = noClasses()
            .should().dependOnClassesThat().resideInAnyPackage("dev.ledgerflow.gateway..", "dev.ledgerflow.projections..",
                    "org.springframework.web..", "org.springframework.http..")
            .because("delivery carries the log's events out; it is used by the HTTP layer and needs no read model");
}
