package dev.peft4j.it;

import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.dora.DoraFactory;
import dev.peft4j.spi.Plugins;

/** A model that runs every adapter/operator combination of a registry at once. */
final class EveryAdapter {

    /** The name of the extra DoRA adapter whose eval forwards cache m/n. */
    static final String CACHED_DORA = "dora-cached";

    private EveryAdapter() {}

    /**
     * Adds one adapter per {@link Matrix} combination to every linear layer (named by the
     * combination, {@code /} replaced by {@code -}), plus a DoRA adapter with the eval cache on.
     *
     * @param model the model
     * @param plugins the registry
     * @return the model
     */
    static PeftModel addAll(PeftModel model, Plugins plugins) {
        for (Combination combination : Matrix.combinations(plugins)) {
            model.addAdapter(combination.label().replace('/', '-'), combination.config(), TargetModules.regex(".*"));
        }
        model.addAdapter(
                CACHED_DORA,
                Matrix.combination(plugins, DoraFactory.NAME).config().toBuilder()
                        .optOption(DoraFactory.EVAL_CACHE, "true")
                        .build(),
                TargetModules.regex(".*"));
        return model;
    }
}
