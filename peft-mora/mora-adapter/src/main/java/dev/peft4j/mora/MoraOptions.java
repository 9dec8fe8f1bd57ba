package dev.peft4j.mora;

import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.mora.spi.MoraOperators;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * MoRA's settings, read from {@link AdapterConfig#options()}.
 *
 * <ul>
 *   <li>{@value #OPERATOR}: the compression operator's registry name, default {@value
 *       #DEFAULT_OPERATOR} (official type 1);
 *   <li>{@value #MORA_TYPE}: kongds/MoRA's type number, one of {@link #OFFICIAL_TYPES}, selecting
 *       the operator that computes it; when given with {@value #OPERATOR} the two must agree;
 *   <li>{@value #RANK_RULE}: {@code official} (default) or {@code paper}, see {@link RankRule};
 *   <li>{@value #GENERALIZED}: {@code true} lets operators use the documented generalisation on
 *       shapes where the official code fails (docs/math.md §4.7); {@code false} (default) makes them an
 *       error.
 *   <li>{@value #REMORA_TYPES}: how ReMoRA restarts move the sharing type, {@code 4} (default,
 *       1→2→3→4→1) or {@code 2} (1↔2), as kongds/MoRA's {@code remora_types}.
 *   <li>{@value #EVAL_CACHE}: {@code true} (default) lets eval forwards keep the compression folded
 *       into M where the operator offers it (rotation: one M·R_t per block, k·r̂ values per layer),
 *       see {@link MoraAdapter}; {@code false} keeps nothing.
 * </ul>
 *
 * @param operator the compression operator
 * @param rankRule how r̂ follows from r
 * @param generalized whether the generalisation is allowed
 * @param remoraTypes the length of ReMoRA's type cycle, 2 or 4
 * @param evalCache whether eval forwards may keep the folded compression
 * @param plugins where the next operator of the cycle is looked up
 */
public record MoraOptions(
        CompressionOperator operator,
        RankRule rankRule,
        boolean generalized,
        int remoraTypes,
        boolean evalCache,
        Plugins plugins) {

    /** The option naming the compression operator. */
    public static final String OPERATOR = "operator";
    /** The option giving kongds/MoRA's type number. */
    public static final String MORA_TYPE = "mora_type";
    /** The option choosing the rank rule. */
    public static final String RANK_RULE = "rank_rule";
    /** The option allowing the generalisation. */
    public static final String GENERALIZED = "generalized";
    /** The option choosing ReMoRA's type cycle. */
    public static final String REMORA_TYPES = "remora_types";
    /** The option letting eval forwards keep the folded compression. */
    public static final String EVAL_CACHE = "mora_eval_cache";
    /** The operator used when neither {@value #OPERATOR} nor {@value #MORA_TYPE} is given: type 1. */
    public static final String DEFAULT_OPERATOR = "sharing";
    /** The types for which kongds/MoRA has a forward; the others reach its merge-only legacy branch. */
    public static final List<Integer> OFFICIAL_TYPES = List.of(1, 2, 3, 4, 6);

    /**
     * Validates the fields.
     *
     * @param operator the compression operator
     * @param rankRule how r̂ follows from r
     * @param generalized whether the generalisation is allowed
     * @param remoraTypes the length of ReMoRA's type cycle, 2 or 4
     * @param evalCache whether eval forwards may keep the folded compression
     * @param plugins where the next operator of the cycle is looked up
     */
    public MoraOptions {
        Objects.requireNonNull(operator, "operator");
        Objects.requireNonNull(rankRule, "rankRule");
        if (remoraTypes != 2 && remoraTypes != 4) {
            throw new PeftException("MoRA option " + REMORA_TYPES + " must be 2 or 4, got " + remoraTypes);
        }
    }

    /**
     * The sharing type that follows a type in ReMoRA's cycle: 1→2→3→4→1, or 1↔2.
     *
     * @param type the current official type, 1 to 4
     * @return the next type
     */
    public int nextType(int type) {
        return type % remoraTypes + 1;
    }

    /**
     * Reads the options and looks the operator up.
     *
     * @param config the adapter configuration
     * @param plugins where operators are looked up
     * @return the options
     * @throws PeftException on an unknown operator, rank rule or boolean, on a legacy or
     *     non-numeric type, or when the operator and the type disagree
     */
    public static MoraOptions of(AdapterConfig config, Plugins plugins) {
        return new MoraOptions(
                operator(config, plugins),
                RankRule.of(config.option(RANK_RULE, RankRule.OFFICIAL.optionValue())),
                parseBoolean(GENERALIZED, config.option(GENERALIZED, "false")),
                parseRemoraTypes(config.option(REMORA_TYPES, "4")),
                parseBoolean(EVAL_CACHE, config.option(EVAL_CACHE, "true")),
                plugins);
    }

    private static int parseRemoraTypes(String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new PeftException("MoRA option " + REMORA_TYPES + " must be 2 or 4, got '" + value + "'", e);
        }
    }

    private static CompressionOperator operator(AdapterConfig config, Plugins plugins) {
        String name = config.options().get(OPERATOR);
        String type = config.options().get(MORA_TYPE);
        if (type == null) {
            return MoraOperators.named(plugins, name == null ? DEFAULT_OPERATOR : name);
        }
        CompressionOperator byType = MoraOperators.byMoraType(plugins, parseType(type));
        if (name != null) {
            CompressionOperator byName = MoraOperators.named(plugins, name);
            if (byName != byType) {
                throw new PeftException("MoRA options disagree: "
                        + OPERATOR
                        + "="
                        + name
                        + " is "
                        + (byName.moraType().isPresent()
                                ? "mora_type " + byName.moraType().getAsInt()
                                : "paper-only, with no mora_type")
                        + ", but "
                        + MORA_TYPE
                        + "="
                        + type
                        + " is operator '"
                        + byType.name()
                        + "'. Give one of them.");
            }
        }
        return byType;
    }

    private static int parseType(String value) {
        int type;
        try {
            type = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new PeftException(
                    "MoRA " + MORA_TYPE + " must be an integer, one of " + OFFICIAL_TYPES + ", got '" + value + "'", e);
        }
        if (!OFFICIAL_TYPES.contains(type)) {
            throw new PeftException("MoRA "
                    + MORA_TYPE
                    + " "
                    + type
                    + " has no forward: kongds/MoRA computes types "
                    + OFFICIAL_TYPES
                    + ", and every other number reaches its merge-only legacy branch (docs/math.md §4.6)");
        }
        return type;
    }

    private static boolean parseBoolean(String option, String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new PeftException("MoRA option " + option + " must be true or false, got '" + value + "'");
        };
    }
}
