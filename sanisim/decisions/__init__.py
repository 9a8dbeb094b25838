"""Decisions under uncertainty: which bundle, or which mix of strategies for the budgets a
district has, and how sure (``sanisim decide``, ``sanisim optimise``; docs/decisions.md)."""
