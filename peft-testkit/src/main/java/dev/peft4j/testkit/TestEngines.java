package dev.peft4j.testkit;

import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;

/**
 * The engines tests run on: every engine on the test class path, which must all be usable. Tests
 * take them through {@link EngineSource}.
 */
public final class TestEngines {

    private TestEngines() {}

    /**
     * Every registered engine.
     *
     * @return the engines; a test on an unusable one fails with the reason
     */
    public static Stream<EngineBinding> all() {
        return Plugins.defaults().engines().stream();
    }

    /** The arguments behind {@link EngineSource}: one per engine of {@link #all()}. */
    public static final class Provider implements ArgumentsProvider {

        /** Made by JUnit for {@link EngineSource}. */
        public Provider() {}

        @Override
        public Stream<? extends Arguments> provideArguments(ExtensionContext context) {
            return all().map(Arguments::of);
        }
    }
}
