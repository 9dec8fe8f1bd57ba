package dev.peft4j.engine.mxnet;

import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.EngineBindingContractTest;

class MxNetBindingTest extends EngineBindingContractTest {

    @Override
    protected String name() {
        return "mxnet";
    }

    @Override
    protected EngineBinding bindingLookingIn(ClassLoader resources) {
        return new MxNetBinding(resources);
    }

    @Override
    protected String nativeArtifact() {
        return "mxnet-native-mkl";
    }
}
