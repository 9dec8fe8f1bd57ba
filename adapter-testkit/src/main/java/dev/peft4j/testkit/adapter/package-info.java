/**
 * The conformance test every adapter method must pass ({@link
 * dev.peft4j.testkit.adapter.AdapterConformanceTest}) and adapter directories written for format
 * tests ({@link dev.peft4j.testkit.adapter.AdapterFiles}).
 */
package dev.peft4j.testkit.adapter;
