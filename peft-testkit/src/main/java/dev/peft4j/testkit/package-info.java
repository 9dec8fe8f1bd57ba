/**
 * peft4j's test kit for engines and plugins: the engine parametrisation ({@link
 * dev.peft4j.testkit.EngineSource}), the engine binding contract ({@link
 * dev.peft4j.testkit.EngineBindingContractTest}), plain-Java double-precision references ({@link
 * dev.peft4j.testkit.Dense}, {@link dev.peft4j.testkit.MoraReference}), small seeded models ({@link
 * dev.peft4j.testkit.TestModels}), plugin jars built at test time ({@link
 * dev.peft4j.testkit.PluginJars}) and Hugging Face PEFT fixtures ({@link
 * dev.peft4j.testkit.PeftFixtures}). It depends on {@code peft-spi} only; the adapter conformance
 * test is in {@code adapter-testkit}, MoRA's operator checks in {@code mora-testkit}.
 */
package dev.peft4j.testkit;
