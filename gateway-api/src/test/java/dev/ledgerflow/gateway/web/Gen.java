package dev.ledgerflow.gateway.web;

import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * A generator of test values drawn from a seeded random source: the same seed gives the same values, so a
 * failing generated case replays from the seed its test prints.
 *
 * <p>Only what the generated-input tests need; choices among values and among generators are uniform.
 */
@FunctionalInterface
interface Gen<T> {

    T next(RandomGenerator random);

    static <T> Gen<T> just(T value) {
        return random -> value;
    }

    @SafeVarargs
    static <T> Gen<T> of(T... values) {
        return of(List.of(values));
    }

    static <T> Gen<T> of(List<T> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("nothing to choose from");
        }
        List<T> copy = List.copyOf(values);
        return random -> copy.get(random.nextInt(copy.size()));
    }

    @SafeVarargs
    static <T> Gen<T> oneOf(Gen<? extends T>... gens) {
        return oneOf(List.of(gens));
    }

    /** One of the generators, each as likely (list one twice to make it twice as likely). */
    static <T> Gen<T> oneOf(List<? extends Gen<? extends T>> gens) {
        Gen<? extends Gen<? extends T>> which = of(List.copyOf(gens));
        return random -> which.next(random).next(random);
    }

    /** An int from {@code min} to {@code max}, both included. */
    static Gen<Integer> integers(int min, int max) {
        return random -> random.nextInt(min, max + 1);
    }

    /** Characters from {@code first} to {@code last}, both included (U+0000 to U+FFFF: any UTF-16 unit, lone surrogates too). */
    static Gen<Character> chars(char first, char last) {
        return random -> (char) random.nextInt(first, last + 1);
    }

    /** One of the characters of {@code alphabet}. */
    static Gen<Character> chars(String alphabet) {
        return random -> alphabet.charAt(random.nextInt(alphabet.length()));
    }

    /** Strings of {@code lengthMin} to {@code lengthMax} characters, both included. */
    static Gen<String> strings(Gen<Character> chars, int lengthMin, int lengthMax) {
        return random -> {
            int length = random.nextInt(lengthMin, lengthMax + 1);
            StringBuilder text = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                text.append(chars.next(random).charValue());
            }
            return text.toString();
        };
    }

    static <A, B, R> Gen<R> combine(Gen<A> first, Gen<B> second, BiFunction<? super A, ? super B, ? extends R> both) {
        return random -> both.apply(first.next(random), second.next(random));
    }

    default <R> Gen<R> map(Function<? super T, ? extends R> mapper) {
        return random -> mapper.apply(next(random));
    }

    default <R> Gen<R> flatMap(Function<? super T, ? extends Gen<? extends R>> mapper) {
        return random -> mapper.apply(next(random)).next(random);
    }

    /** Draws again until {@code wanted} holds; for predicates that hold for most values. */
    default Gen<T> filter(Predicate<? super T> wanted) {
        return random -> {
            for (int attempt = 0; attempt < 10_000; attempt++) {
                T value = next(random);
                if (wanted.test(value)) {
                    return value;
                }
            }
            throw new IllegalStateException("the filter refused 10,000 values in a row");
        };
    }
}
