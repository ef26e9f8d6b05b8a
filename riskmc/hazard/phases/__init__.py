"""The phases of the hazard kernel, one module each; :mod:`riskmc.hazard.kernel` runs them in order.

- :mod:`~riskmc.hazard.phases.common`: codes, constants, output dtypes, shared helpers;
- :mod:`~riskmc.hazard.phases.background`: background attacks and the regimes (step 1);
- :mod:`~riskmc.hazard.phases.offspring`: a history's children and Hawkes offspring (1b, 2);
- :mod:`~riskmc.hazard.phases.campaigns`: campaigns (step 3);
- :mod:`~riskmc.hazard.phases.consequences`: each attack's target, closure, blackout (step 5);
- :mod:`~riskmc.hazard.phases.protests`: protests, province-wide orders, stress spans (step 6);
- :mod:`~riskmc.hazard.phases.spans`: pieces ordered and merged into spans (step 7).
"""
