package io.mqttkafka.bridge; public final class Main { public static void main(String[] a) {} }
