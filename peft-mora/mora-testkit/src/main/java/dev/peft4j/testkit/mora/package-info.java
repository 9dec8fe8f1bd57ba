/**
 * MoRA's test kit: the conformance test every compression operator must pass ({@link
 * dev.peft4j.testkit.mora.OperatorConformanceTest}), the identities it checks ({@link
 * dev.peft4j.testkit.mora.OperatorInvariants}) and MoRA adapters driven from plain Java ({@link
 * dev.peft4j.testkit.mora.MoraHarness}).
 */
package dev.peft4j.testkit.mora;
