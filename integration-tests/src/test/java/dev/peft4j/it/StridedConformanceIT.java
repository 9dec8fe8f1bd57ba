package dev.peft4j.it;

import dev.peft4j.testkit.adapter.AdapterConformanceTest;
import dev.peft4j.mora.MoraFactory;
import dev.peft4j.mora.MoraOptions;
import dev.peft4j.testkit.MoraReference;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.Plugins;

/** The shared conformance test on MoRA with the third-party operator {@code strided}, loaded from the plugin directory. */
class StridedConformanceIT extends AdapterConformanceTest {

    @Override
    protected AdapterConfig config() {
        return AdapterConfig.builder(MoraFactory.NAME).setRank(1).optOption(MoraOptions.OPERATOR, ThirdPartyPlugin.OPERATOR).build();
    }

    @Override
    protected long expectedTrainableParameters(int outFeatures, int inFeatures) {
        long rHat = MoraReference.officialRank(outFeatures, inFeatures, 1);
        return rHat * rHat;
    }

    @Override
    protected Plugins plugins() {
        return ItPlugins.registry();
    }
}
