package dev.peft4j.core.testing;

import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import java.util.stream.Stream;

/** The engines tests run on: every engine on the test class path, which must all be usable. */
public final class TestEngines {

    private TestEngines() {}

    /**
     * Every registered engine, for {@code @MethodSource("dev.peft4j.core.testing.TestEngines#all")}.
     *
     * @return the engines; a test on an unusable one fails with the reason
     */
    public static Stream<EngineBinding> all() {
        return Plugins.defaults().engines().stream();
    }
}
