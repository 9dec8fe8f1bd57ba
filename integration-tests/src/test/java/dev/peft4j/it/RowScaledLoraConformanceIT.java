package dev.peft4j.it;

import dev.peft4j.testkit.adapter.AdapterConformanceTest;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.Plugins;

/** The shared conformance test on the third-party adapter {@code lora-rowscale}, loaded from the plugin directory. */
class RowScaledLoraConformanceIT extends AdapterConformanceTest {

    private static final int RANK = 2;

    @Override
    protected AdapterConfig config() {
        return AdapterConfig.builder(ThirdPartyPlugin.ADAPTER).setRank(RANK).optAlpha(4).build();
    }

    @Override
    protected long expectedTrainableParameters(int outFeatures, int inFeatures) {
        return (long) RANK * (outFeatures + inFeatures) + outFeatures;
    }

    @Override
    protected Plugins plugins() {
        return ItPlugins.registry();
    }
}
