package dev.peft4j.spi;

import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;

/** The known name a mistyped one most likely meant, for "did you mean" hints. */
final class ClosestName {

    private ClosestName() {}

    /**
     * The candidate nearest a name by edit distance, when it is near enough to be a typo (at most one
     * edit, or a third of the name's length for long names) or contains the name ({@code torch} in
     * {@code pytorch}).
     *
     * @param name the name given
     * @param candidates the known names
     * @return the suggestion, or empty
     */
    static Optional<String> of(String name, Collection<String> candidates) {
        String wanted = name.toLowerCase(Locale.ROOT);
        return candidates.stream()
                .min(Comparator.comparingInt(candidate -> distance(candidate.toLowerCase(Locale.ROOT), wanted)))
                .filter(candidate ->
                        distance(candidate.toLowerCase(Locale.ROOT), wanted) <= Math.max(1, wanted.length() / 3)
                                || (wanted.length() >= 3
                                        && candidate.toLowerCase(Locale.ROOT).contains(wanted)));
    }

    /**
     * A sentence suggesting the closest candidate.
     *
     * @param name the name given
     * @param candidates the known names
     * @return {@code " Did you mean 'x'?"}, or an empty string
     */
    static String hint(String name, Collection<String> candidates) {
        return of(name, candidates)
                .map(closest -> " Did you mean '" + closest + "'?")
                .orElse("");
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
