package dev.ledgerflow.gateway;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * Endpoints reach the database only through repositories, projections and the command executor; the
 * feature packages depend on each other without cycles; the shared wiring ({@code config}) and the
 * request layer ({@code web}) need no feature.
 */
@AnalyzeClasses(packages = "dev.ledgerflow.gateway", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule controllers_do_not_talk_sql = noClasses()
            .that().haveSimpleNameEndingWith("Controller")
            .should().dependOnClassesThat().resideInAnyPackage("io.r2dbc..", "java.sql..")
            .because("an endpoint asks a repository, a projection or the command executor; SQL lives behind them");

    @ArchTest
    static final ArchRule the_features_are_free_of_cycles = slices()
            .matching("dev.ledgerflow.gateway.(*)..")
            .should().beFreeOfCycles()
            .because("a feature (payment, webhook, kafka, cluster...) builds on the shared layers and on features below it,"
                    + " never on one that needs it back");

    static final String[] SHARED = {"dev.ledgerflow.gateway.config..", "dev.ledgerflow.gateway.web.."};

    @ArchTest
    static final ArchRule the_shared_layers_know_no_feature = noClasses()
            .that().resideInAnyPackage(SHARED)
            .should().dependOnClassesThat(resideInAPackage("dev.ledgerflow.gateway..").and(resideOutsideOfPackages(SHARED)))
            .because("each feature's wiring sits in the feature; config keeps what every feature shares, web the request"
                    + " handling every route goes through");
}
