package dev.peft4j.core.io;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Rewrites module paths between two naming schemes by prefix, for models whose names differ: the
 * first rule whose {@code from} is a whole-segment prefix of a path replaces it with {@code to}
 * (an empty {@code to} strips it); paths no rule matches are kept.
 *
 * @param rules the rules, tried in order
 */
public record PathMap(List<PathMap.Rule> rules) {

    /**
     * One prefix rewrite.
     *
     * @param from the prefix to replace, whole dotted segments (may be empty: adds {@code to} in front)
     * @param to its replacement (may be empty: strips {@code from})
     */
    public record Rule(String from, String to) {

        /**
         * Validates the rule.
         *
         * @param from the prefix to replace, whole dotted segments (may be empty: adds {@code to} in front)
         * @param to its replacement (may be empty: strips {@code from})
         */
        public Rule {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            if (from.startsWith(".") || from.endsWith(".") || to.startsWith(".") || to.endsWith(".")) {
                throw new IllegalArgumentException(
                        "Path map rule " + from + "=" + to + " must not start or end with '.'");
            }
        }
    }

    /**
     * Freezes the rules.
     *
     * @param rules the rules, tried in order
     */
    public PathMap {
        rules = List.copyOf(rules);
    }

    /**
     * The map that changes nothing.
     *
     * @return the identity
     */
    public static PathMap identity() {
        return new PathMap(List.of());
    }

    /**
     * Parses rules written {@code FROM=TO}. Prefixes are whole dotted segments, so one trailing dot
     * on either side means the same as none: {@code transformer.=} is {@code transformer=}.
     *
     * @param rules the rules, for example {@code transformer=model.transformer}
     * @return the map
     * @throws IllegalArgumentException naming a rule without {@code =}
     */
    public static PathMap parse(List<String> rules) {
        List<Rule> parsed = new ArrayList<>();
        for (String rule : rules) {
            int equals = rule.indexOf('=');
            if (equals < 0) {
                throw new IllegalArgumentException("Path map rule '" + rule + "' must be written FROM=TO");
            }
            parsed.add(new Rule(
                    withoutTrailingDot(rule.substring(0, equals)), withoutTrailingDot(rule.substring(equals + 1))));
        }
        return new PathMap(parsed);
    }

    private static String withoutTrailingDot(String prefix) {
        return prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }

    /**
     * Rewrites a path.
     *
     * @param path a dotted module path
     * @return the rewritten path
     */
    public String apply(String path) {
        for (Rule rule : rules) {
            String rest;
            if (rule.from().isEmpty()) {
                rest = path;
            } else if (path.equals(rule.from())) {
                rest = "";
            } else if (path.startsWith(rule.from() + ".")) {
                rest = path.substring(rule.from().length() + 1);
            } else {
                continue;
            }
            return rule.to().isEmpty() ? rest : rest.isEmpty() ? rule.to() : rule.to() + "." + rest;
        }
        return path;
    }

    /**
     * The map in the other direction: every rule reversed.
     *
     * @return the inverse
     */
    public PathMap inverse() {
        return new PathMap(
                rules.stream().map(rule -> new Rule(rule.to(), rule.from())).toList());
    }
}
