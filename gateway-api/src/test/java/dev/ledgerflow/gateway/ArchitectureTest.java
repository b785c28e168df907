package dev.ledgerflow.gateway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** Endpoints reach the database only through repositories, projections and the command executor. */
@AnalyzeClasses(packages = "dev.ledgerflow.gateway", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule controllers_do_not_talk_sql = noClasses()
            .that().haveSimpleNameEndingWith("Controller")
            .should().dependOnClassesThat().resideInAnyPackage("io.r2dbc..", "java.sql..")
            .because("an endpoint asks a repository, a projection or the command executor; SQL lives behind them");
}
