package dev.peft4j.core;

import java.util.Locale;

/**
 * How many of a model's parameters train, printed as PEFT's {@code print_trainable_parameters}
 * does: {@code trainable params: N || all params: M || trainable%: P}.
 *
 * @param trainable the trainable values
 * @param all every value, frozen or not
 */
public record ParameterReport(long trainable, long all) {

    /**
     * The trainable share in percent.
     *
     * @return 100·trainable/all, or 0 for an empty model
     */
    public double trainablePercent() {
        return all == 0 ? 0 : 100.0 * trainable / all;
    }

    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "trainable params: %,d || all params: %,d || trainable%%: %.4f",
                trainable,
                all,
                trainablePercent());
    }
}
