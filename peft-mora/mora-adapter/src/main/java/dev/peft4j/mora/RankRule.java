package dev.peft4j.mora;

import dev.peft4j.spi.PeftException;
import java.util.Arrays;
import java.util.Locale;

/**
 * How r̂, the side of MoRA's square matrix M, follows from the requested rank r so that M has
 * about as many values as LoRA's A and B: r̂² ≈ (d + k)·r. The operator may adjust it afterwards
 * (rotation makes it even).
 */
public enum RankRule {

    /** kongds/MoRA's rule, the default: {@code r̂ = int(√((d + k)·r) + 0.5)}, rounding half up. */
    OFFICIAL("official"),

    /** The paper's rule: {@code r̂ = ⌊√((d + k)·r)⌋}. */
    PAPER("paper");

    private final String optionValue;

    RankRule(String optionValue) {
        this.optionValue = optionValue;
    }

    /**
     * The value of the MoRA option {@code rank_rule} that selects this rule.
     *
     * @return {@code official} or {@code paper}
     */
    public String optionValue() {
        return optionValue;
    }

    /**
     * r̂ before the operator's adjustment.
     *
     * @param outFeatures d
     * @param inFeatures k
     * @param rank r
     * @return r̂
     */
    public int reducedRank(int outFeatures, int inFeatures, int rank) {
        double root = Math.sqrt(((double) outFeatures + inFeatures) * rank);
        return (int) Math.floor(this == OFFICIAL ? root + 0.5 : root);
    }

    /**
     * The rule an option value names, case-insensitively.
     *
     * @param optionValue {@code official} or {@code paper}
     * @return the rule
     * @throws PeftException naming the expected values for any other value
     */
    public static RankRule of(String optionValue) {
        for (RankRule rule : values()) {
            if (rule.optionValue.equals(optionValue.trim().toLowerCase(Locale.ROOT))) {
                return rule;
            }
        }
        throw new PeftException("Unknown MoRA "
                + MoraOptions.RANK_RULE
                + " '"
                + optionValue
                + "'. Expected one of "
                + Arrays.stream(values()).map(RankRule::optionValue).toList());
    }
}
