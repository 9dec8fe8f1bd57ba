package dev.peft4j.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Runs a {@code @ParameterizedTest} once per engine of {@link TestEngines#all()}: its first
 * parameter is a {@link dev.peft4j.spi.EngineBinding}. Further parameters may be resolved by
 * extensions, for example a {@code @TempDir Path}.
 *
 * <pre>{@code
 * @ParameterizedTest
 * @EngineSource
 * void works(EngineBinding engine) { ... }
 * }</pre>
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ArgumentsSource(TestEngines.Provider.class)
public @interface EngineSource {}
