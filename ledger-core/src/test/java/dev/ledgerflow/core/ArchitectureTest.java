package dev.ledgerflow.core;

import static com.tngtech.archunit.core.domain.JavaCall.Predicates.target;
import static com.tngtech.archunit.base.DescribedPredicate.alwaysTrue;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.name;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.InstantSource;
import java.util.Random;
import java.util.UUID;

/**
 * The pure core stays pure: deciders and their values depend on no framework, do no I/O, and read no
 * clock and no randomness; the shell passes ids and times in on the commands. The module's features
 * depend on each other without cycles, and on nothing of the modules built on it.
 */
@AnalyzeClasses(packages = "dev.ledgerflow.core", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    static final String[] CORE = {"dev.ledgerflow.core..domain..", "dev.ledgerflow.core.decider.."};

    @ArchTest
    static final ArchRule the_core_uses_no_framework_and_no_io = noClasses()
            .that().resideInAnyPackage(CORE)
            .should().dependOnClassesThat().resideInAnyPackage(
                    "org.springframework..", "reactor..", "tools.jackson..", "com.fasterxml..", "io.r2dbc..",
                    "java.io..", "java.nio..", "java.net..", "java.sql..")
            .because("the domain is plain Java; the shell does I/O, serialisation and reactive plumbing");

    /**
     * Also a feature's domain importing no other feature's internals: a domain may use another feature's
     * domain (its published commands, events and values: money, postings), never its shell.
     */
    @ArchTest
    static final ArchRule the_core_depends_on_no_shell = noClasses()
            .that().resideInAnyPackage(CORE)
            .should().dependOnClassesThat(resideInAPackage("dev.ledgerflow..").and(resideOutsideOfPackages(CORE)))
            .because("the shell (event store, handlers) depends on the domain, never the other way");

    @ArchTest
    static final ArchRule the_core_reads_no_clock = noClasses()
            .that().resideInAnyPackage(CORE)
            .should().callMethodWhere(target(name("now")).and(target(owner(resideInAPackage("java.time")))))
            .orShould().callMethod(System.class, "currentTimeMillis")
            .orShould().callMethod(System.class, "nanoTime")
            .orShould().dependOnClassesThat().areAssignableTo(Clock.class)
            .orShould().dependOnClassesThat().areAssignableTo(InstantSource.class)
            .because("times arrive on the command, so that deciding is deterministic and replayable");

    @ArchTest
    static final ArchRule the_core_draws_no_random_numbers = noClasses()
            .that().resideInAnyPackage(CORE)
            .should().callMethod(UUID.class, "randomUUID")
            .orShould().dependOnClassesThat().areAssignableTo(Random.class)
            .orShould().dependOnClassesThat().areAssignableTo(SecureRandom.class)
            .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.random.RandomGenerator")
            .because("ids arrive on the command, so that deciding is deterministic and replayable");

    @ArchTest
    static final ArchRule the_features_of_the_core_are_free_of_cycles = slices()
            .matching("dev.ledgerflow.core.(*)..")
            .should().beFreeOfCycles()
            // The domain packages are the pure bottom layer (rules above): any shell may use any of them
            // (the codec maps payment sources), so only the shells' dependencies can make a cycle.
            .ignoreDependency(alwaysTrue(), resideInAnyPackage(CORE))
            .because("a feature's shell (payment, event store, feed...) builds on others without going round in circles");

    @ArchTest
    static final ArchRule the_core_module_knows_nothing_of_the_modules_built_on_it = noClasses()
            .should().dependOnClassesThat().resideInAnyPackage("dev.ledgerflow.projections..", "dev.ledgerflow.delivery..", "dev.ledgerflow.gateway..")
            .because("ledger-core is the bottom layer: read models, delivery and HTTP depend on it, never the other way");
}
