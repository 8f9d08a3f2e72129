"""Pagination shared by pages and the API."""

from django.core.paginator import Paginator


class IdsFirstPaginator(Paginator):
    """A deep page reads its ids first (the ordering's index alone, no joins for the rows it
    skips), then those rows with everything the list selects; shallow pages read at once."""

    deep = 500  # rows skipped before a page is read in two steps

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if bottom < self.deep or not hasattr(self.object_list, "values_list"):
            return self._get_page(self.object_list[bottom:top], number, self)
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)
