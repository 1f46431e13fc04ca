"""A database lookup Django leaves unguarded: `in` on integer columns with numbers no column can hold."""

from django.db.models import IntegerField
from django.db.models.lookups import In


class IntegerFieldIn(In):
    """`in` that leaves out numbers beyond the column's range, as Django's own `exact` and `gt` do.

    Forms ask `pk__in` for every chosen id (ModelMultipleChoiceField, the admin's selected rows); on
    SQLite a 30-digit id in a request raised OverflowError while binding it, a 500. Such a number
    matches no row, so it is dropped; with nothing left the lookup matches nothing.
    """

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
            self.rhs = [
                value for value in self.rhs
                if not isinstance(value, int) or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)


def register() -> None:
    IntegerField.register_lookup(IntegerFieldIn, lookup_name="in")
